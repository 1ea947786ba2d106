// createModel({ signal }) aborts a weights download in flight (a real HTTP server on 127.0.0.1 that sends
// half of the file, then stalls); nothing is left in the cache.
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModel, getModelCard } from '../../src/index.js';
import { registerModel } from '../../src/models.js';
import { sharedWeights } from '../support/helpers.js';

const payload = readFileSync(sharedWeights('squeezenet1_1-imagenet.safetensors'));
let server: Server;
const stalled: ServerResponse[] = [];
let firstBytes!: () => void;
const sending = new Promise<void>((resolve) => (firstBytes = resolve));

beforeAll(async () => {
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-length': payload.length });
    res.write(payload.subarray(0, payload.length >> 1), () => firstBytes());
    stalled.push(res); // the rest never comes
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const squeezenet = getModelCard('squeezenet1_1');
  registerModel({
    ...squeezenet, name: 'test_download_stall',
    weights: { imagenet: { ...squeezenet.weights.imagenet, files: [{ file: 'stall.safetensors', url: `${base}/stall.safetensors`, sha256: '0'.repeat(64), format: 'safetensors' }] } },
  });
});
afterAll(() => {
  for (const res of stalled) res.destroy();
  server.close();
});

describe('download cancellation', () => {
  it('an abort during the download rejects with E_CANCELLED and leaves no partial file', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'ttl-cache-'));
    const controller = new AbortController();
    const creating = createModel({ model: 'test_download_stall', weights: 'imagenet', device: 'cpu', resolve: { cacheDir }, signal: controller.signal });
    await sending;
    const t = performance.now();
    controller.abort();
    await expect(creating).rejects.toMatchObject({ code: 'E_CANCELLED', message: expect.stringMatching(/^download of http:.* was cancelled/) });
    console.log(`download abort: rejected after ${(performance.now() - t).toFixed(1)} ms`);
    const weights = join(cacheDir, 'weights');
    expect(existsSync(weights) ? readdirSync(weights) : []).toEqual([]);
  });
});
