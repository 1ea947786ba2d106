// The validation loss is computed natively, by one evaluation path for both tasks, with the trainer's own
// cross-entropy and class weights: checked against a formula applied here to the predicted probabilities, and
// (classification) against the training loss of the same images.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createModel, type Model } from '../../src/index.js';
import { loadSegmentationPairs, readMedMNIST } from '../../src/data/index.js';
import { optimOptions } from '../../src/model.js';
import { toNativeSegmentationStore } from '../../src/data/segmentation.js';
import { imageChunks } from '../../src/train/chunks.js';
import { evaluateSplit } from '../../src/train/evaluate.js';
import { loadState, mapState, shared, testCacheDir } from '../support/helpers.js';

const resolve = { mirror: shared, offline: true, cacheDir: testCacheDir };
const pipeline = { size: 28, channels: 3, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

/**
 * Σ w[t] · -ln p[t] / Σ w[t] over every target t (one per sample, or one per pixel), from probabilities laid
 * out [N, C, positions] and targets [N, positions].
 */
function weightedCrossEntropy(probs: ArrayLike<number>, targets: ArrayLike<number>, samples: number, weights: number[]): number {
  const numClasses = weights.length;
  const positions = targets.length / samples;
  let sum = 0, total = 0;
  for (let i = 0; i < targets.length; i++) {
    const sample = Math.floor(i / positions), position = i % positions;
    const w = weights[targets[i]];
    sum -= w * Math.log(probs[(sample * numClasses + targets[i]) * positions + position]);
    total += w;
  }
  return sum / total;
}

describe('native validation loss', () => {
  const data = readMedMNIST(join(shared, 'data', 'pneumoniamnist', 'pneumoniamnist.npz'));
  const n = 48;
  const val = { images: data.val.images.slice(0, n * 28 * 28), shape: [n, 28, 28], labels: data.val.labels.slice(0, n) };

  it.each([
    ['without class weights', []],
    ['with class weights', [0.3, 1.7]],
  ])('classification %s: the weighted cross-entropy of the probabilities, and the training loss of the same images', async (_name, classWeights) => {
    const model: Model = await createModel({ model: 'squeezenet1_1', cutoff: 6, numClasses: 2, weights: 'imagenet', resolve, device: 'cpu', seed: 3 });
    await model.configureTraining(optimOptions({ lr: 0, classWeights }));
    // Three chunks: the loss is reduced over the whole split, not averaged per chunk.
    const chunks = imageChunks(val, 'gray', 16);
    const { scores, loss } = await evaluateSplit(model, chunks, pipeline, 16);
    expect(scores.shape).toEqual([n, 2]);
    const predicted = (await model.predictStore(imageChunks(val, 'gray', n)[0], pipeline, n)).data;
    scores.data.forEach((p, i) => expect(p).toBe(predicted[i]));
    const reference = weightedCrossEntropy(predicted, val.labels, n, classWeights.length ? classWeights : [1, 1]);
    expect(Math.abs(loss - reference)).toBeLessThan(1e-5);
    // The weights make a difference the test can see.
    const unweighted = weightedCrossEntropy(predicted, val.labels, n, [1, 1]);
    if (classWeights.length) expect(Math.abs(unweighted - reference)).toBeGreaterThan(1e-3);
    // Training at lr 0 on the same images as one batch: SqueezeNet's only batch norm is its head's, which trains on
    // the batch's statistics and evaluates on running ones. One step moved those to 0.9 x (0, 1) + 0.1 x (the batch's
    // mean, unbiased variance); set them to the batch's own (biased variance, as training normalises), and the
    // evaluation's loss is the training loss.
    const training = await model.trainEpoch(imageChunks(val, 'gray', n)[0], pipeline, { batchSize: n, seed: 0, epoch: 1, lastBatch: 'keep' });
    const [, h, w] = (await model.complexity([3, pipeline.size, pipeline.size])).units.at(-1)!.outShape;
    const positions = n * h * w;
    const state = await model.state();
    mapState(state, 'head_norm.running_mean', (m) => m / 0.1);
    mapState(state, 'head_norm.running_var', (v) => ((v - 0.9) / 0.1) * ((positions - 1) / positions));
    await loadState(model, state);
    const matched = await evaluateSplit(model, chunks, pipeline, 16);
    expect(Math.abs(training.loss - matched.loss)).toBeLessThan(1e-5);
    // The running statistics as they were would not do: the comparison can fail.
    expect(Math.abs(training.loss - loss)).toBeGreaterThan(1e-3);
    model.dispose();
  });

  it.each([
    ['without class weights', []],
    ['with class weights', [0.2, 3]],
  ])('segmentation %s: the weighted cross-entropy over every pixel of the masks', async (_name, classWeights) => {
    const dir = join(shared, 'data', 'nifti-samples');
    const slices = await loadSegmentationPairs('ct-slices', [{ image: join(dir, 'example_ct_sm.nii.gz'), mask: join(dir, 'example_seg.nii.gz'), origin: 'ct' }], {
      classes: { liver: [5] }, mode: 'slices', size: 32, intensity: 'abdomen', fractions: { val: 0.2, test: 0.2 }, splitBy: 'slice', seed: 1,
    });
    const model = await createModel({ model: 'resnet18', cutoff: 5, head: 'unet', numClasses: 2, device: 'cpu', seed: 2 });
    await model.configureTraining(optimOptions({ lr: 0, classWeights }));
    const store = toNativeSegmentationStore(slices.val, slices.kind);
    const segPipeline = { ...pipeline, size: 32 };
    const { scores, loss } = await evaluateSplit(model, store, segPipeline, 4);
    expect(scores.shape).toEqual([slices.val.shape[0], 2]);
    const probs = (await model.predictStore(store, segPipeline, 4)).data;
    const reference = weightedCrossEntropy(probs, slices.val.masks, slices.val.shape[0], classWeights.length ? classWeights : [1, 1]);
    expect(Math.abs(loss - reference)).toBeLessThan(1e-5);
    model.dispose();
  });
});
