// loadPredictor(path, { engine: 'onnxruntime' }): the same inputs, the same native preprocessing, the network run by
// onnxruntime-node from the checkpoint exported in memory; the same probabilities as the LibTorch engine to 1e-4,
// and for a U-Net checkpoint the same masks.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { createModel, finetune, loadPredictor } from '../../src/index.js';
import { readMedMNIST } from '../../src/data/index.js';
import { shared } from '../support/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'ttl-predict-ort-'));

describe("loadPredictor engine 'onnxruntime'", () => {
  it('gives the LibTorch engine\'s probabilities for files, Buffers and raw pixels, one by one and in batches', async () => {
    const data = readMedMNIST(join(shared, 'data', 'breastmnist', 'breastmnist.npz'));
    const take = (s: typeof data.train, n: number) => ({ images: s.images.slice(0, n * 784), shape: [n, 28, 28], labels: s.labels.slice(0, n) });
    const checkpoint = join(dir, 'best.safetensors');
    // ResNet-18 cut at k = 5, trained one epoch at 32 px: the predictor resizes the 28 px images natively.
    await finetune({
      model: 'resnet18', strategy: { kind: 'ttl', cutoff: 5 }, imageSize: 32, epochs: 1, batchSize: 32, device: 'cpu',
      data: { ...data, train: take(data.train, 128), val: take(data.val, 32), test: take(data.test, 32) }, checkpoint,
    });
    const files = await Promise.all([0, 1, 2].map(async (i) => {
      const path = join(dir, `t${i}.png`);
      await sharp(Buffer.from(data.test.images.subarray(i * 784, (i + 1) * 784)), { raw: { width: 28, height: 28, channels: 1 } }).png().toFile(path);
      return path;
    }));
    const inputs = [...files, await sharp(files[0]).toBuffer(), { data: data.test.images.slice(3 * 784, 4 * 784), shape: [28, 28] }];
    const libtorch = await loadPredictor(checkpoint, { device: 'cpu' });
    const onnx = await loadPredictor(checkpoint, { device: 'cpu', engine: 'onnxruntime' });
    const expected = await libtorch.predictBatch(inputs);
    const one = await Promise.all(inputs.map((x) => onnx.predict(x)));
    const batch = await onnx.predictBatch(inputs, { batchSize: 2 });
    for (const got of [one, batch])
      got.forEach((p, i) => {
        const [a, b] = [(p as { probabilities: Float32Array }).probabilities, (expected[i] as { probabilities: Float32Array }).probabilities];
        expect(a).toHaveLength(2);
        a.forEach((v, c) => expect(Math.abs(v - b[c]), `input ${i} class ${c}`).toBeLessThan(1e-4));
        expect((p as { label: number }).label).toBe((expected[i] as { label: number }).label);
      });
    await libtorch.close();
    await onnx.close();
  });

  it('refuses an unknown engine by name', async () => {
    await expect(loadPredictor(join(dir, 'best.safetensors'), { engine: 'tensorrt' as never })).rejects.toMatchObject({ code: 'E_BAD_ARGUMENT', message: expect.stringContaining('engine') });
  });

  it('a segmentation checkpoint (U-Net head) gives the LibTorch engine\'s masks', async () => {
    const unet = await createModel({ model: 'resnet18', cutoff: 5, head: 'unet', numClasses: 3, device: 'cpu', seed: 6 });
    const path = join(dir, 'unet.safetensors');
    await unet.saveWeights(path, { task: 'segmentation' });
    unet.dispose();
    const inputs = [0, 1].map((j) => ({ data: Uint8Array.from({ length: 40 * 48 }, (_, i) => (i * (7 + j) + (i >> 5) * 13) % 256), shape: [40, 48] }));
    const libtorch = await loadPredictor(path, { device: 'cpu' });
    const onnx = await loadPredictor(path, { device: 'cpu', engine: 'onnxruntime' });
    const [expected, got] = [await libtorch.predictBatch(inputs), await onnx.predictBatch(inputs)] as { mask: Uint8Array; shape: number[] }[][];
    got.forEach((p, i) => {
      expect(p.shape).toEqual(expected[i].shape);
      // Probabilities agree to about 1e-6, so only a near tie between two classes could flip a pixel.
      const differ = p.mask.filter((c, v) => c !== expected[i].mask[v]).length;
      expect(differ, `input ${i}: pixels of another class`).toBeLessThanOrEqual(p.mask.length / 1000);
      expect(new Set(p.mask).size, 'a mask that is not constant').toBeGreaterThan(1);
    });
    await libtorch.close();
    await onnx.close();
  });
});
