// Multi-label training end to end on real images with exact labels (2 x 2 mosaics of BCCD cell crops, labelled with
// the cell types they show): a sigmoid per label trained with binary cross-entropy learns them; evaluation's loss is
// the BCE the trainer minimises; the checkpoint says it is multi-label and the predictor, the LibTorch engine and the
// exported ONNX network (Sigmoid, not Softmax) give the same per-label probabilities.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createModel, finetune, loadPredictor, type MultiLabelPrediction } from '../../src/index.js';
import { loadDataset, type ImageDataset } from '../../src/data/index.js';
import { toNativeStore } from '../../src/data/dataset.js';
import { optimOptions } from '../../src/model.js';
import type { MultiLabelMetrics } from '../../src/metrics/index.js';
import { readCheckpointInfo } from '../../src/weights/index.js';
import { CELL_TYPES, writeBccdMosaics } from '../support/bccd-mosaics.js';
import { shared, testCacheDir } from '../support/helpers.js';

const resolve = { mirror: shared, offline: true, cacheDir: testCacheDir };
let dir: string;
let data: ImageDataset;
let csv: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ttl-multilabel-train-'));
  ({ csv } = await writeBccdMosaics(dir, { counts: { train: 160, val: 48, test: 64 }, seed: 3 }));
  data = (await loadDataset(csv, { size: 64 })).dataset;
});

describe('multi-label training', () => {
  it('the native evaluation loss is the mean binary cross-entropy of its sigmoid probabilities, pos_weight included', async () => {
    const model = await createModel({ model: 'squeezenet1_1', cutoff: 5, numClasses: 3, multiLabel: true, device: 'cpu', seed: 1 });
    const posWeight = [2, 0.5, 1.5];
    await model.configureTraining({ ...optimOptions({ lr: 0.01 }), posWeight });
    const store = toNativeStore(data.val, data.kind);
    const pipeline = { size: 64, channels: 3, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
    const { scores, loss } = await model.evaluateStore(store, pipeline, 16);
    expect(scores.shape).toEqual([48, 3]);
    let sum = 0;
    data.val.targets!.forEach((t, i) => {
      const p = scores.data[i];
      sum -= t ? posWeight[i % 3] * Math.log(p) : Math.log(1 - p);
    });
    let total = 0, weight = 0;
    for (let i = 0; i < loss.data.length; i += 2) (total += loss.data[i]), (weight += loss.data[i + 1]);
    expect(weight).toBe(48 * 3);
    expect(total / weight).toBeCloseTo(sum / (48 * 3), 5);
    // Independent sigmoids: the rows do not sum to 1.
    expect(Math.abs(scores.data[0] + scores.data[1] + scores.data[2] - 1)).toBeGreaterThan(1e-3);
    await model.close();
  });

  it('finetune() learns the cell types: macro AUROC well above chance on the held-out mosaics; the checkpoint predicts the same probabilities, in LibTorch and ONNX', async () => {
    const checkpoint = join(dir, 'best.safetensors');
    const start = performance.now();
    const result = await finetune({
      model: 'squeezenet1_1', weights: 'imagenet', resolve, data, strategy: { kind: 'ttl', cutoff: 9 }, imageSize: 64,
      epochs: 4, batchSize: 16, lr: 0.01, posWeight: 'balanced', device: 'cpu', seed: 0, checkpoint,
    });
    const test = result.test as MultiLabelMetrics;
    console.log(`multi-label finetune: ${((performance.now() - start) / 1000).toFixed(1)} s; test macro AUROC ${test.auroc.toFixed(3)}, micro ${test.microAuroc.toFixed(3)}, macro AUPRC ${test.auprc.toFixed(3)};`,
      test.perLabel.map((l) => `${l.label} ${l.auroc.toFixed(3)} [${l.aurocCi.low.toFixed(3)}, ${l.aurocCi.high.toFixed(3)}]`).join(', '));
    expect(test.perLabel.map((l) => l.label)).toEqual([...CELL_TYPES]);
    expect(test.auroc).toBeGreaterThan(0.8);
    expect(result.curves.every((c) => Number.isFinite(c.valAuroc))).toBe(true);

    const info = readCheckpointInfo(checkpoint)!;
    expect(info).toMatchObject({ task: 'multilabel', classes: [...CELL_TYPES], numClasses: 3 });
    const files = Array.from({ length: 4 }, (_, i) => join(dir, 'mosaics', `test_${i}.png`));
    const expected = result.predictions.test.slice(0, 12);
    for (const engine of ['libtorch', 'onnxruntime'] as const) {
      const predictor = await loadPredictor(checkpoint, { device: 'cpu', engine });
      expect(predictor.task).toBe('multilabel');
      const predictions = (await predictor.predictBatch(files)) as MultiLabelPrediction[];
      predictions.forEach((p, i) => {
        p.probabilities.forEach((v, l) => expect(v, `${engine} image ${i} label ${l}`).toBeCloseTo(expected[i * 3 + l], 4));
        expect(p.findings).toEqual(CELL_TYPES.filter((_, l) => p.probabilities[l] >= 0.5));
      });
      await predictor.close();
    }
  });

  it('refuses the loss weights of the other task', async () => {
    const common = { model: 'squeezenet1_1', data, strategy: { kind: 'ttl' as const, cutoff: 3 }, imageSize: 32, epochs: 1, device: 'cpu' as const };
    await expect(finetune({ ...common, classWeights: 'balanced' })).rejects.toMatchObject({ code: 'E_BAD_ARGUMENT', message: expect.stringContaining('use posWeight') });
    await expect(finetune({ ...common, posWeight: [1, 2] })).rejects.toMatchObject({ code: 'E_BAD_ARGUMENT', message: expect.stringContaining('posWeight') });
  });
});
