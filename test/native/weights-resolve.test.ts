// Weight resolution: cache, then mirror, then download with SHA-256 verification, against a real HTTP
// server on 127.0.0.1 (including a wrong checksum and a connection cut mid-file).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModel, getModelCard, type ModelCard } from '../../src/index.js';
import { registerModel } from '../../src/models.js';
import { resolveWeights } from '../../src/weights/index.js';
import { shared, sharedWeights } from '../support/helpers.js';

const payload = readFileSync(sharedWeights('squeezenet1_1-imagenet.safetensors'));
const sha256 = createHash('sha256').update(payload).digest('hex');
let server: Server;
let base = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/good.safetensors' || req.url === '/bad-sum.safetensors') {
      res.writeHead(200, { 'content-length': payload.length });
      res.end(payload);
    } else if (req.url === '/cut.safetensors') {
      res.writeHead(200, { 'content-length': payload.length });
      res.write(payload.subarray(0, payload.length >> 1), () => res.destroy());
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const squeezenet = getModelCard('squeezenet1_1');
  const variant = (name: string, file: string, sum: string): ModelCard => ({
    ...squeezenet,
    name,
    weights: { imagenet: { ...squeezenet.weights.imagenet, files: [{ file, url: `${base}/${file}`, sha256: sum, format: 'safetensors' }] } },
  });
  registerModel(variant('test_download_good', 'good.safetensors', sha256));
  registerModel(variant('test_download_badsum', 'bad-sum.safetensors', '0'.repeat(64)));
  registerModel(variant('test_download_cut', 'cut.safetensors', sha256));
});
afterAll(() => server.close());

const freshCache = () => mkdtempSync(join(tmpdir(), 'ttl-cache-'));
const leftovers = (cache: string) => (existsSync(join(cache, 'weights')) ? readdirSync(join(cache, 'weights')) : []);

describe('weights by name', () => {
  it('downloads, verifies SHA-256, caches, then serves from the cache', async () => {
    const cacheDir = freshCache();
    const first = await resolveWeights('test_download_good', 'imagenet', { cacheDir });
    expect(first.source).toBe('download');
    expect(readFileSync(first.path).equals(payload)).toBe(true);
    const second = await resolveWeights('test_download_good', 'imagenet', { cacheDir, offline: true });
    expect(second).toMatchObject({ source: 'cache', path: first.path });
    const model = await createModel({ model: 'test_download_good', weights: 'imagenet', device: 'cpu', resolve: { cacheDir } });
    expect(model.loadReport?.loaded).toHaveLength(52);
    model.dispose();
  });

  it('a wrong checksum leaves no file behind', async () => {
    const cacheDir = freshCache();
    await expect(resolveWeights('test_download_badsum', 'imagenet', { cacheDir })).rejects.toMatchObject({
      code: 'E_CHECKSUM', message: expect.stringContaining(`SHA-256 ${sha256} does not match`),
    });
    expect(leftovers(cacheDir)).toEqual([]);
  });

  it('a connection cut mid-file leaves no file behind', async () => {
    const cacheDir = freshCache();
    await expect(resolveWeights('test_download_cut', 'imagenet', { cacheDir })).rejects.toMatchObject({ code: 'E_DOWNLOAD' });
    expect(leftovers(cacheDir)).toEqual([]);
  });

  it('offline with nothing cached names the file and where to put it', async () => {
    const cacheDir = freshCache();
    await expect(resolveWeights('resnet50', 'imagenet', { cacheDir, offline: true, mirror: '' })).rejects.toMatchObject({
      code: 'E_WEIGHTS_NOT_FOUND',
      message: expect.stringContaining(
        `weights resnet50:imagenet are not available offline. Put resnet50-0676ba61.pth in ${join(cacheDir, 'weights')}`,
      ),
    });
  });

  it('the mirror is used and its checksum verified', async () => {
    const found = await resolveWeights('squeezenet1_1', 'imagenet', { cacheDir: freshCache(), mirror: shared, offline: true });
    expect(found).toMatchObject({ source: 'mirror', path: sharedWeights('squeezenet1_1-imagenet.safetensors') });
    const mirror = mkdtempSync(join(tmpdir(), 'ttl-mirror-'));
    mkdirSync(join(mirror, 'weights'));
    writeFileSync(join(mirror, 'weights', 'squeezenet1_1-imagenet.safetensors'), 'tampered');
    await expect(resolveWeights('squeezenet1_1', 'imagenet', { cacheDir: freshCache(), mirror, offline: true })).rejects.toMatchObject({
      code: 'E_CHECKSUM',
    });
  });

  it('unknown weight names list the known ones', async () => {
    await expect(resolveWeights('resnet18', 'radimagenet')).rejects.toMatchObject({
      code: 'E_UNKNOWN_WEIGHTS', message: "no weights 'radimagenet' for resnet18; known: imagenet",
    });
  });
});
