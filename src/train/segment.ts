// trainSegmentation(): one trial of one strategy on a segmentation dataset. The encoder is the plan's
// (truncated) network; a U-Net decoder joins the kept block ends; model selection on validation Dice.
import { TtlError, invalidParameterError } from '../errors.js';
import { sampleBits } from '../data/dataset.js';
import { toNativeSegmentationStore, type SegmentationDataset, type SegmentationSplit } from '../data/segmentation.js';
import { meanStd } from '../metrics/stats.js';
import type { Model } from '../model.js';
import type { NativePipelineOptions, NativeStore } from '../native/binding.js';
import { oneOf, shapeOf } from '../validate.js';
import { checkDimensions } from './finetune.js';
import { segmentationChunks } from './chunks.js';
import { evaluateSplit } from './evaluate.js';
import { epochLoop } from './loop.js';
import { spatialDims } from '../registry.js';
import { planTraining, trainingOptim, trialResult, withTrainingModel, type TrainingOptions, type TrialResult } from './setup.js';

export interface SegmentationMetrics {
  /** Mean ± std over images of the per-image Dice (foreground classes present in truth or prediction). */
  dice: { mean: number; std: number };
  jaccard: { mean: number; std: number };
  /**
   * Cross-entropy over every pixel (voxel) at the masks' resolution, weighted like training's (its class
   * weights; the soft Dice term of the training loss is not included).
   */
  loss: number;
  perImage: { dice: number[]; jaccard: number[] };
}

export interface SegmentOptions extends TrainingOptions {
  data: SegmentationDataset;
  /** Network input shape [H, W] or [D, H, W]; default imageSize in every dimension. */
  shape?: number[];
  /** Class weights of the cross-entropy term, background first. */
  classWeights?: number[];
  select?: 'dice' | 'loss';
  onProgress?: (event: SegmentProgressEvent) => void;
}

export type SegmentProgressEvent =
  | { type: 'batch'; epoch: number; batch: number; batches: number; loss: number }
  | { type: 'epoch'; epoch: number; epochs: number; trainLoss: number; val: SegmentationMetrics; seconds: number; best: boolean };

export interface SegmentEpoch {
  epoch: number;
  trainLoss: number;
  valLoss: number;
  valDice: number;
  valJaccard: number;
  lr: number;
  seconds: number;
}

export type SegmentResult = TrialResult<SegmentationMetrics, SegmentEpoch>;

/**
 * Per-image Dice / Jaccard of a segmentation network on a split (at the masks' resolution), and its
 * cross-entropy over every pixel (voxel), weighted with the configured training's class weights.
 */
export async function evaluateSegmentation(
  model: Model, store: NativeStore | NativeStore[], pipeline: NativePipelineOptions, batchSize: number,
): Promise<SegmentationMetrics> {
  const { scores, loss } = await evaluateSplit(model, store, pipeline, batchSize);
  const n = scores.shape[0];
  const column = (c: number) => Array.from({ length: n }, (_, i) => scores.data[i * 2 + c]);
  const dice = column(0), jaccard = column(1);
  const { mean: dm, std: ds } = meanStd(dice);
  const { mean: jm, std: js } = meanStd(jaccard);
  return { dice: { mean: dm, std: ds }, jaccard: { mean: jm, std: js }, loss, perImage: { dice, jaccard } };
}

function checkMasks(data: SegmentationDataset): void {
  for (const name of ['train', 'val', 'test'] as const) {
    const split: SegmentationSplit = data[name];
    let max = 0;
    for (const v of split.masks) if (v > max) max = v;
    if (max >= data.classes.length)
      throw new TtlError('E_BAD_INPUT', `${data.name}: the ${name} masks hold class ${max} but the dataset names ${data.classes.length} classes (${data.classes.join(', ')})`);
  }
}

/**
 * Trains a U-Net decoder on a (truncated) encoder on a segmentation dataset: selection on validation Dice (or
 * loss), best weights evaluated on test; see SegmentOptions.
 */
export async function trainSegmentation(options: SegmentOptions): Promise<SegmentResult> {
  const s = planTraining(options);
  const { card } = s;
  const data = options.data;
  checkDimensions(data, card);
  checkMasks(data);
  const dims = spatialDims(card);
  if (options.shape !== undefined) s.pipeline.shape = shapeOf('shape', options.shape, [dims]);
  const numClasses = data.classes.length;
  const select = oneOf('select', options.select ?? 'dice', ['dice', 'loss'] as const);
  const classWeights = options.classWeights ?? [];
  if (classWeights.length && classWeights.length !== numClasses)
    throw invalidParameterError('classWeights', `${numClasses} numbers (background first)`, classWeights);

  return withTrainingModel(s, { head: 'unet', numClasses }, async (model) => {
    const train = toNativeSegmentationStore(data.train, data.kind);
    const [val, test] = [segmentationChunks(data.val, data.kind, s.batchSize), segmentationChunks(data.test, data.kind, s.batchSize)];
    await model.configureTraining(trainingOptim(s, data.train.shape[0], classWeights));
    const loop = await epochLoop(model, train, s, async () => {
      const metrics = await evaluateSegmentation(model, val, s.pipeline, s.batchSize);
      return { metrics, loss: metrics.loss, score: select === 'loss' ? -metrics.loss : metrics.dice.mean };
    }, {
      onBatch: (epoch, b) => options.onProgress?.({ type: 'batch', epoch, ...b }),
      onEpoch: (e) => options.onProgress?.({ type: 'epoch', epoch: e.epoch, epochs: s.epochs, trainLoss: e.trainLoss, val: e.val.metrics, seconds: e.seconds, best: e.best }),
      signal: s.signal,
    });
    const testMetrics = await evaluateSegmentation(model, test, s.pipeline, s.batchSize);
    const spatial = s.pipeline.shape ?? new Array(dims).fill(s.size);
    const complexity = await model.complexity([card.input.channels, ...spatial]);
    const curves = loop.epochs.map((e) => ({
      epoch: e.epoch, trainLoss: e.trainLoss, valLoss: e.val.loss, valDice: e.val.metrics.dice.mean, valJaccard: e.val.metrics.jaccard.mean, lr: e.lr, seconds: e.seconds,
    }));
    return trialResult(s, model, loop, testMetrics, curves, complexity);
  }, {
    task: 'segmentation', classes: data.classes,
    storage: { kind: data.kind, shape: data.train.shape.slice(1), depth: sampleBits(data.train) },
  });
}
