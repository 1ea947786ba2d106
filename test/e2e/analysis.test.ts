// Transferability analysis on real data: per-unit probes, Grad-CAM heatmaps and PNG overlays, and SVCCA
// of a finished run (CLI), with the real SqueezeNet ImageNet weights.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { createModel } from '../../src/index.js';
import { readMedMNIST, type ImageDataset } from '../../src/data/index.js';
import { gradCam, probeUnits, writeOverlay } from '../../src/analysis/index.js';
import { root, shared, testCacheDir } from '../support/helpers.js';

const resolveOptions = { mirror: shared, offline: true, cacheDir: testCacheDir };
const pipeline = { size: 32, channels: 3, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
const breast = readMedMNIST(join(shared, 'data', 'breastmnist', 'breastmnist.npz'));

describe('per-unit linear probes', () => {
  it('score every unit on validation and test with frozen ImageNet features', async () => {
    const model = await createModel({ model: 'squeezenet1_1', weights: 'imagenet', head: 'none', device: 'cpu', resolve: resolveOptions });
    const scores = await probeUnits(model, breast as ImageDataset, pipeline, { units: [1, 5, 9] });
    model.dispose();
    expect(scores.map((s) => [s.k, s.unit, s.channels])).toEqual([[1, 'stem', 64], [5, 'features.7', 256], [9, 'features.12', 512]]);
    for (const s of scores) {
      expect(s.valAuroc).toBeGreaterThan(0.6); // real features separate the classes
      expect(s.testAuroc).toBeGreaterThan(0.6);
    }
  });
});

describe('Grad-CAM', () => {
  it('gives a heatmap of the input size that is not constant, and writes an overlay PNG', async () => {
    const model = await createModel({ model: 'squeezenet1_1', weights: 'imagenet', numClasses: 2, device: 'cpu', resolve: resolveOptions, allowMissing: false });
    const size = 64;
    const gray = new Uint8Array(size * size);
    const input = new Float32Array(3 * size * size);
    for (let i = 0; i < size * size; i++) {
      gray[i] = breast.test.images[Math.floor(i / size / 2.2857) * 28 + Math.floor((i % size) / 2.2857)];
      for (let c = 0; c < 3; c++) input[c * size * size + i] = (gray[i] / 255 - pipeline.mean[c]) / pipeline.std[c];
    }
    const cam = await gradCam(model, input, [1, 3, size, size], { unit: 'features.7' });
    expect(cam.shape).toEqual([1, size, size]);
    expect(Math.max(...cam.data)).toBeCloseTo(1, 5);
    expect(Math.min(...cam.data)).toBeCloseTo(0, 5);
    expect(new Set(cam.data).size).toBeGreaterThan(100);
    const path = join(mkdtempSync(join(tmpdir(), 'ttl-cam-')), 'overlay.png');
    await writeOverlay(path, gray, cam.data, size, size);
    const meta = await sharp(path).metadata();
    expect([meta.width, meta.height, meta.channels]).toEqual([size, size, 3]);
    model.dispose();
  });
});

describe('analysis of a finished run (CLI)', () => {
  it('svcca: per-unit SVCCA against the random baseline, added to the report; gradcam-compare: FTL vs TTL figure', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'ttl-svcca-')), 'run');
    const env = { ...process.env, TTL_TORCH_MIRROR: shared, TTL_TORCH_OFFLINE: '1', TTL_TORCH_THREADS: '1' };
    const cli = (...args: string[]) => spawnSync(process.execPath, [join(root, 'dist', 'cli', 'main.js'), ...args], { env, encoding: 'utf8' });
    expect(cli('run', '--data', 'breastmnist', '--epochs', '1', '--image-size', '32', '--strategies', 'ftl,ttl', '--search', 'k=3', '--out', out).status).toBe(0);
    const tooFew = cli('svcca', out, '--units', '9');
    expect(tooFew.status).toBe(1);
    expect(tooFew.stderr).toMatch(/CCA needs at least 5x as many datapoints as neurons/);
    const run = cli('svcca', out, '--units', '1,3,5', '--spatial', '8', '--json');
    expect(run.stderr).toBe('');
    const result = JSON.parse(run.stdout);
    expect(result.trial).toBe('ftl-k9-s0');
    expect(result.datapoints).toBe(546 * 8);
    expect(result.units.map((u: { unit: string }) => u.unit)).toEqual(['stem', 'features.4', 'features.7']);
    // after one epoch the finetuned network is still far closer to its ImageNet start than to a random one
    for (const u of result.units) expect(u.pretrained).toBeGreaterThan(u.random);
    expect(result.cross).toEqual([{ a: 'features.4', b: 'features.7', mean: expect.any(Number) }]);
    expect(existsSync(join(out, 'analysis', 'svcca.svg'))).toBe(true);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('SVCCA with the finetuned network');

    const figure = cli('gradcam-compare', out, '--count', '3');
    expect(figure.stderr).toBe('');
    const meta = await sharp(join(out, 'analysis', 'gradcam-ftl-vs-ttl.png')).metadata();
    expect([meta.width, meta.height]).toEqual([3 * 128 + 8, 3 * 128 + 8]);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('aria-label="Grad-CAM FTL vs TTL"');
    expect(html).toContain('TTL-1 (k=3)');
  });
});
