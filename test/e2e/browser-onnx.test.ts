// examples/browser/ in headless Chromium: the page loads a model exported by ttl-torch, reads its preprocessing
// from the model's metadata, classifies images with onnxruntime-web (WebAssembly), and gives the native
// predictor's probabilities to 1e-3, making no request outside 127.0.0.1.
import { mkdtempSync, readFileSync, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import sharp from 'sharp';
import { chromium } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { exportOnnx, finetune, loadPredictor } from '../../src/index.js';
import { readMedMNIST } from '../../src/data/index.js';
import { root, shared } from '../support/helpers.js';

const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const dir = mkdtempSync(join(tmpdir(), 'ttl-browser-onnx-'));
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.proto': 'text/plain', '.onnx': 'application/octet-stream' };

/** A static server on 127.0.0.1: the checkout at /, this test's files at /files/. */
function serve(): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const [base, rest] = url.pathname.startsWith('/files/') ? [dir, url.pathname.slice('/files/'.length)] : [root, url.pathname];
    const path = normalize(join(base, decodeURIComponent(rest)));
    if (!path.startsWith(base) || !existsSync(path) || statSync(path).isDirectory()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream' }).end(readFileSync(path));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const address = server.address() as { port: number };
    resolve({ server, origin: `http://127.0.0.1:${address.port}` });
  }));
}

let server: Server | undefined;
afterAll(() => server?.close());

describe('examples/browser (onnxruntime-web in Chromium)', () => {
  it('classifies five shared test images as the native predictor does, from the exported model alone', async () => {
    // A TTL network (SqueezeNet k = 5, ImageNet weights) trained one epoch at PneumoniaMNIST's own 28 px.
    const data = readMedMNIST(join(shared, 'data', 'pneumoniamnist', 'pneumoniamnist.npz'));
    const take = (s: typeof data.train, n: number) => ({ images: s.images.slice(0, n * 28 * 28), shape: [n, 28, 28], labels: s.labels.slice(0, n) });
    const checkpoint = join(dir, 'best.safetensors');
    await finetune({
      model: 'squeezenet1_1', weights: 'imagenet', strategy: { kind: 'ttl', cutoff: 5 }, imageSize: 28, epochs: 1, batchSize: 32, device: 'cpu',
      data: { ...data, train: take(data.train, 256), val: take(data.val, 64), test: take(data.test, 64) }, checkpoint, resolve: { mirror: shared, offline: true },
    });
    await exportOnnx(checkpoint, join(dir, 'model.onnx'));
    const images = await Promise.all([0, 1, 2, 3, 4].map(async (i) => {
      const path = join(dir, `test-${i}.png`);
      await sharp(Buffer.from(data.test.images.subarray(i * 784, (i + 1) * 784)), { raw: { width: 28, height: 28, channels: 1 } }).png().toFile(path);
      return path;
    }));
    const predictor = await loadPredictor(checkpoint, { device: 'cpu' });
    const native = [];
    for (const path of images) native.push((await predictor.predict(path)).probabilities);
    await predictor.close();

    const served = await serve();
    server = served.server;
    const browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
    try {
      const page = await browser.newPage();
      const outside: string[] = [];
      const errors: string[] = [];
      page.on('request', (r) => !r.url().startsWith(served.origin) && outside.push(r.url()));
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${served.origin}/examples/browser/index.html?model=/files/model.onnx`);
      await page.waitForFunction(() => document.body.dataset.model === 'ready' || document.body.dataset.error !== undefined, null, { timeout: 60_000 });
      expect(await page.evaluate(() => document.body.dataset.error)).toBeUndefined();
      expect(await page.textContent('#status')).toContain('Model squeezenet1_1, k = 5, 28 px, classes 0, 1');
      for (const [i, path] of images.entries()) {
        await page.setInputFiles('#image', path);
        await page.waitForFunction((name) => JSON.parse(document.body.dataset.result ?? '{}').name === name, `test-${i}.png`, { timeout: 30_000 });
        const result = JSON.parse((await page.evaluate(() => document.body.dataset.result))!) as { probabilities: number[] };
        expect(result.probabilities).toHaveLength(2);
        result.probabilities.forEach((p, c) => expect(Math.abs(p - native[i][c]), `image ${i} class ${c}`).toBeLessThan(1e-3));
      }
      expect(errors).toEqual([]);
      expect(outside).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
