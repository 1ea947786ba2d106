// Self-describing checkpoints, strict identity on load, and loadPredictor's parity with evaluation.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModel, finetune, loadPredictor, runtimeInfo, trainSegmentation, type FinetuneResult, type Prediction, type SegmentationPrediction } from '../../src/index.js';
import { readMedMNIST, type SegmentationSplit } from '../../src/data/index.js';
import { readCheckpointInfo, readSafetensors, writeSafetensors } from '../../src/weights/index.js';
import { maxAbsError, root, shared } from '../support/helpers.js';

const data = readMedMNIST(join(shared, 'data', 'breastmnist', 'breastmnist.npz'));
const dir = mkdtempSync(join(tmpdir(), 'ttl-predictor-'));
const checkpoint = join(dir, 'best.safetensors');
let trial: FinetuneResult;

/** Test image i of breastmnist as raw pixels. */
const testImage = (i: number) => {
  const [, h, w] = data.test.shape;
  return { data: data.test.images.slice(i * h * w, (i + 1) * h * w) as Uint8Array, shape: [h, w] };
};

beforeAll(async () => {
  trial = await finetune({
    model: 'squeezenet1_1', strategy: { kind: 'ttl', cutoff: 4 }, data, imageSize: 32, epochs: 1, batchSize: 32, device: 'cpu', seed: 2, checkpoint,
  });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('self-describing checkpoints', () => {
  it('record the network, the task, the classes and the input pipeline', () => {
    const info = readCheckpointInfo(checkpoint)!;
    expect(info).toMatchObject({
      format: 2, model: 'squeezenet1_1', k: 4, slimAfter: -1, head: 'linear', numClasses: 2, inChannels: 3, task: 'classification',
      classes: data.classes, input: { size: 32, channels: 3 }, storage: { kind: 'gray', shape: [28, 28], depth: 8 }, preprocessing: 1,
    });
    expect(info.input!.mean).toHaveLength(3);
    expect(info.ttlTorch).toMatch(/^\d+\.\d+\.\d+/);
    expect(info.configHash).toMatch(/^[0-9a-f]{16}$/);
  });

  it('refuse a model with another class count or cutoff, naming the field, unless allowMismatch', async () => {
    await expect(createModel({ model: 'squeezenet1_1', cutoff: 4, numClasses: 3, device: 'cpu', weights: checkpoint }))
      .rejects.toMatchObject({ code: 'E_WEIGHTS_MISMATCH', message: expect.stringMatching(/numClasses 2 but this model has numClasses 3/) });
    await expect(createModel({ model: 'squeezenet1_1', cutoff: 3, numClasses: 2, device: 'cpu', weights: checkpoint }))
      .rejects.toMatchObject({ code: 'E_WEIGHTS_MISMATCH', message: expect.stringMatching(/cutoff k 4 but this model has cutoff k 3/) });
    const loose = await createModel({ model: 'squeezenet1_1', cutoff: 4, numClasses: 3, device: 'cpu', weights: checkpoint, allowMismatch: true });
    expect(loose.loadReport!.headSkipped.length).toBeGreaterThan(0);
    await loose.close();
  });

  it('old checkpoints (identity only) still load, with the card defaults for the input', async () => {
    const old = join(dir, 'old.safetensors');
    const file = readSafetensors(checkpoint);
    writeSafetensors(old, file.tensors.values(), { model: 'squeezenet1_1', k: '4', head: 'linear', numClasses: '2' });
    const predictor = await loadPredictor(old);
    expect(predictor.info.format).toBe(1);
    expect(predictor.pipeline.size).toBe(224);
    const p = (await predictor.predict(testImage(0))) as Prediction;
    expect(p.probabilities).toHaveLength(2);
    await predictor.close();
  });
});

describe('loadPredictor', () => {
  it('predicts exactly what evaluation predicted for the same test images (typed arrays, PNG bytes, files)', async () => {
    const predictor = await loadPredictor(checkpoint, { device: 'cpu' });
    await predictor.warmup();
    const n = data.test.labels.length;
    const inputs = Array.from({ length: n }, (_, i) => testImage(i));
    const predictions = (await predictor.predictBatch(inputs, { batchSize: 64 })) as Prediction[];
    const got = new Float32Array(n * 2);
    predictions.forEach((p, i) => got.set(p.probabilities, i * 2));
    expect(maxAbsError(got, trial.predictions.test)).toBeLessThan(1e-5);
    expect(predictions[0].className).toBe(data.classes[predictions[0].label]);

    const png = await sharp(Buffer.from(testImage(5).data), { raw: { width: 28, height: 28, channels: 1 } }).png().toBuffer();
    const fromBytes = (await predictor.predict(png)) as Prediction;
    expect(maxAbsError(fromBytes.probabilities, trial.predictions.test.slice(10, 12))).toBeLessThan(1e-5);
    const path = join(dir, 'five.png');
    await sharp(png).toFile(path);
    const fromFile = (await predictor.predict(path)) as Prediction;
    expect(maxAbsError(fromFile.probabilities, trial.predictions.test.slice(10, 12))).toBeLessThan(1e-5);
    await predictor.close();

    // The CLI prints the same numbers.
    const cli = (...args: string[]) => spawnSync(process.execPath, [join(root, 'dist', 'cli', 'main.js'), 'predict', checkpoint, path, ...args],
      { encoding: 'utf8', env: { ...process.env, TTL_TORCH_THREADS: '1' } });
    const json = cli('--json');
    expect(json.stderr).toBe('');
    const row = JSON.parse(json.stdout.trim());
    expect(row).toMatchObject({ input: path, label: fromFile.label, className: fromFile.className });
    expect(maxAbsError(Float32Array.from(row.probabilities), fromFile.probabilities)).toBeLessThan(1e-6);
    const csv = cli('--csv').stdout.trim().split('\n');
    expect(csv[0]).toBe(`input,label,class,${data.classes.map((c) => `p_${c}`).join(',')}`);
    expect(csv[1].startsWith(`${path},${fromFile.label},${fromFile.className},`)).toBe(true);
    expect(cli('--json', '--csv')).toMatchObject({ status: 1, stderr: 'ttl-torch [E_BAD_ARGUMENT]: choose one of --json and --csv\n' });
  });

  it('micro-batching coalesces concurrent predict() calls into fewer native calls with the same results', async () => {
    const predictor = await loadPredictor(checkpoint, { device: 'cpu', microBatch: { maxBatch: 4 } });
    const results = (await Promise.all(Array.from({ length: 10 }, (_, i) => predictor.predict(testImage(i))))) as Prediction[];
    expect(predictor.stats).toEqual({ calls: 3, inputs: 10 });
    const got = new Float32Array(20);
    results.forEach((p, i) => got.set(p.probabilities, i * 2));
    expect(maxAbsError(got, trial.predictions.test.slice(0, 20))).toBeLessThan(1e-5);
    await expect(predictor.predict(testImage(0), { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'E_CANCELLED' });
    await predictor.close();
    await expect(loadPredictor(checkpoint, { microBatch: { maxBatch: 0 } })).rejects.toThrow('Expected an integer between 1 and 4096 for microBatch.maxBatch but received 0 of type number');
  });

  it('threads apply to the predictor\'s own work, not to the process', async () => {
    const before = (await runtimeInfo()).threads;
    const predictor = await loadPredictor(checkpoint, { device: 'cpu', threads: before + 1 });
    const p = (await predictor.predict(testImage(3))) as Prediction;
    expect(maxAbsError(p.probabilities, trial.predictions.test.slice(6, 8))).toBeLessThan(1e-5);
    expect((await runtimeInfo()).threads).toBe(before);
    await predictor.close();
    await expect(loadPredictor(checkpoint, { threads: 0 })).rejects.toThrow('Expected an integer between 1 and 1024 for threads but received 0 of type number');
  });

  it('validates its inputs with precise messages and honours an abort between batches', async () => {
    const predictor = await loadPredictor(checkpoint, { device: 'cpu' });
    await expect(predictor.predict({ data: new Uint8Array(10), shape: [28, 28] }))
      .rejects.toThrow('Expected 28 x 28 samples for inputs[0].data but received Uint8Array');
    await expect(predictor.predict({ data: new Uint8Array(28 * 28 * 3), shape: [28, 28, 3] }))
      .rejects.toThrow('Expected [H, W] for inputs[0].shape but received array of length 3');
    await expect(predictor.predict(Buffer.from('not an image'))).rejects.toMatchObject({ code: 'E_BAD_IMAGE' });
    await expect(predictor.predictBatch([testImage(0)], { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'E_CANCELLED' });
    await expect(loadPredictor(join(dir, 'missing.safetensors'))).rejects.toMatchObject({ code: 'E_NO_FILE' });
    await predictor.close();
  });
});

/** n 32x32 gray images with a bright square (class 1) at a varying place. */
function squares(n: number, seed: number): SegmentationSplit {
  const images = new Uint8Array(n * 32 * 32);
  const masks = new Uint8Array(n * 32 * 32);
  for (let i = 0; i < n; i++) {
    const x0 = (i * 7 + seed) % 20, y0 = (i * 11 + seed) % 20;
    for (let y = 0; y < 32; y++)
      for (let x = 0; x < 32; x++) {
        const inside = x >= x0 && x < x0 + 10 && y >= y0 && y < y0 + 10;
        images[i * 1024 + y * 32 + x] = inside ? 200 : 40;
        masks[i * 1024 + y * 32 + x] = inside ? 1 : 0;
      }
  }
  return { images, shape: [n, 32, 32], masks };
}

describe('loadPredictor for segmentation', () => {
  it('restores a U-Net checkpoint and returns a mask per input at the network resolution', async () => {
    const path = join(dir, 'seg.safetensors');
    await trainSegmentation({
      model: 'resnet18', strategy: { kind: 'ttl', cutoff: 3 }, data: { name: 'squares', classes: ['background', 'square'], kind: 'gray', train: squares(8, 0), val: squares(4, 3), test: squares(4, 5) },
      imageSize: 32, epochs: 1, batchSize: 4, device: 'cpu', checkpoint: path,
    });
    const predictor = await loadPredictor(path);
    expect(predictor.task).toBe('segmentation');
    expect(predictor.info).toMatchObject({ head: 'unet', numClasses: 2, classes: ['background', 'square'], storage: { kind: 'gray', shape: [32, 32] } });
    const test = squares(1, 9);
    const out = (await predictor.predict({ data: test.images, shape: [32, 32] })) as SegmentationPrediction;
    expect(out.shape).toEqual([32, 32]);
    expect(out.mask).toHaveLength(32 * 32);
    expect(out.mask.every((v) => v === 0 || v === 1)).toBe(true);
    await predictor.close();
  });
});

describe('loadPredictor for volumes read from files', () => {
  it('decodes a NIfTI file and a DICOM series folder as training did (recorded window and spacing): equal to evaluation', async () => {
    const { loadDataset } = await import('../../src/data/index.js');
    const { niftiSample, writeVolumeManifest } = await import('../support/volume-manifest.js');
    const { csv, series } = writeVolumeManifest(dir);
    const { dataset } = await loadDataset(csv, { volumeShape: [20, 18, 16], spacing: [6, 6, 6], intensity: 'abdomen', allowOutsidePaths: true });
    const volumeCheckpoint = join(dir, 'volume.safetensors');
    const volumeTrial = await finetune({
      model: 'resnet3d_18', strategy: { kind: 'ttl', cutoff: 'block1' }, data: dataset, imageSize: 16, epochs: 1, batchSize: 2, device: 'cpu', checkpoint: volumeCheckpoint,
    });
    const predictor = await loadPredictor(volumeCheckpoint);
    expect(predictor.info.volume).toEqual({ intensity: 'abdomen', spacing: [6, 6, 6] });
    const got = await predictor.predictBatch([niftiSample('example_ct_sm.nii.gz'), series]);
    const probabilities = Float32Array.from(got.flatMap((p) => [...(p as Prediction).probabilities]));
    expect(maxAbsError(probabilities, volumeTrial.predictions.test)).toBeLessThan(1e-5);
    await expect(predictor.predict(Buffer.from('not a path'))).rejects.toThrow('Expected a NIfTI file or DICOM series folder path');
    await predictor.close();
  });
});
