// finetune(): one trial of one strategy on one dataset, with model selection on the validation split.
import { TtlError, invalidParameterError } from '../errors.js';
import { classCounts, isMultiLabel, sampleBits, toNativeStore, type ImageDataset } from '../data/dataset.js';
import { loadDataset } from '../data/load.js';
import type { LoadImagesOptions } from '../data/manifest.js';
import { classificationMetrics, type ClassificationMetrics } from '../metrics/classification.js';
import { multiLabelMetrics, type MultiLabelMetrics } from '../metrics/multilabel.js';
import { oneOf } from '../validate.js';
import type { NativeStore } from '../native/binding.js';
import { imageChunks } from './chunks.js';
import { evaluateSplit } from './evaluate.js';
import { epochLoop } from './loop.js';
import { networkInputShape } from '../registry.js';
import { planTraining, trainingOptim, trialResult, withTrainingModel, type TrainingOptions, type TrialResult } from './setup.js';

export type SelectMetric = 'auroc' | 'auprc' | 'loss';

export interface FinetuneOptions extends TrainingOptions {
  /** A decoded dataset, or a path: MedMNIST .npz, a folder of class folders, or a CSV manifest. */
  data: ImageDataset | string;
  /** How a path is decoded (size, colour, split fractions, skipBad, CSV columns). */
  dataOptions?: LoadImagesOptions;
  /** 'balanced' weights classes by inverse frequency (single-label data). */
  classWeights?: 'balanced' | number[];
  /**
   * Multi-label data: the weight of each label's positives in its binary cross-entropy (torch's pos_weight);
   * 'balanced' gives each label negatives / positives of the training split. Default: 1 each.
   */
  posWeight?: 'balanced' | number[];
  select?: SelectMetric;
  /** Called after every batch and epoch; a throw cancels the trial, which then rejects with that error. */
  onProgress?: (event: ProgressEvent) => void;
}

export type ProgressEvent =
  | { type: 'batch'; epoch: number; batch: number; batches: number; loss: number }
  | { type: 'epoch'; epoch: number; epochs: number; trainLoss: number; valLoss: number; val: TrialMetrics; seconds: number; best: boolean };

/**
 * A trial's metrics: single-label classification, or multi-label (macro AUROC/AUPRC in `auroc`/`auprc`, with the
 * micro averages and the per-label values).
 */
export type TrialMetrics = ClassificationMetrics | MultiLabelMetrics;

export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  valLoss: number;
  valAuroc: number;
  valAuprc: number;
  lr: number;
  seconds: number;
}

export type FinetuneResult = TrialResult<TrialMetrics, EpochRecord> & {
  /**
   * Class probabilities ([N, C] row-major; multi-label: a sigmoid per label, [N, L]) of the kept (best) weights on
   * the validation and test splits.
   */
  predictions: { val: Float32Array; test: Float32Array };
};

function checkSplits(data: ImageDataset): void {
  const multiLabel = isMultiLabel(data);
  for (const name of ['train', 'val', 'test'] as const) {
    const counts = classCounts(data[name], data.classes.length);
    const missing = counts.map((c, i) => (c === 0 ? data.classes[i] : null)).filter((c) => c !== null);
    if (missing.length)
      throw new TtlError('E_BAD_INPUT', `${data.name}: the ${name} split has no images ${multiLabel ? 'with label' : 'of class'} ${missing.join(', ')} (counts ${counts.join('/')})`);
    // A label every image has has no negatives: its AUROC is undefined and its sigmoid learns nothing.
    const n = data[name].shape[0];
    const full = multiLabel ? counts.map((c, i) => (c === n ? data.classes[i] : null)).filter((c) => c !== null) : [];
    if (full.length) throw new TtlError('E_BAD_INPUT', `${data.name}: every image of the ${name} split has label ${full.join(', ')}: no negatives`);
  }
}

/** The loss weights of a dataset: class weights for single-label data, per-label positive weights for multi-label. */
function lossWeights(options: FinetuneOptions, data: ImageDataset): { classWeights: number[]; posWeight: number[] } {
  const numClasses = data.classes.length;
  const counts = classCounts(data.train, numClasses);
  const n = data.train.shape[0];
  const given = (name: 'classWeights' | 'posWeight', what: string) => {
    const value = options[name];
    if (value === undefined) return [];
    if (value === 'balanced') return name === 'posWeight' ? counts.map((c) => (n - c) / c) : counts.map((c) => n / (numClasses * c));
    if (!Array.isArray(value) || value.length !== numClasses || !value.every((w) => Number.isFinite(w) && w >= 0))
      throw invalidParameterError(name, `'balanced' or ${numClasses} non-negative numbers (one per ${what})`, value);
    return value;
  };
  if (isMultiLabel(data)) {
    if (options.classWeights !== undefined)
      throw new TtlError('E_BAD_ARGUMENT', `classWeights weigh the classes of single-label data; ${data.name} is multi-label: use posWeight`);
    return { classWeights: [], posWeight: given('posWeight', 'label') };
  }
  if (options.posWeight !== undefined) throw new TtlError('E_BAD_ARGUMENT', `posWeight is for multi-label data; ${data.name} has one class per image: use classWeights`);
  return { classWeights: given('classWeights', 'class'), posWeight: [] };
}

/** The metrics of a split's probabilities: per class (single-label) or per label with macro/micro averages. */
export function splitMetrics(data: ImageDataset, split: 'val' | 'test', probs: ArrayLike<number>): TrialMetrics {
  const s = data[split];
  return s.targets ? multiLabelMetrics(s.targets, probs, data.classes) : classificationMetrics(s.labels, probs, data.classes.length);
}

/** Refuses a 2D dataset for a 3D network and the other way round. */
export function checkDimensions(data: { name: string; kind: string }, card: { name: string; input: { frames?: number } }): void {
  const volumetric = Boolean(card.input.frames);
  if ((data.kind === 'volume') !== volumetric)
    throw new TtlError('E_BAD_INPUT', `${data.name} holds ${data.kind === 'volume' ? '3D volumes' : '2D images'} but ${card.name} is a ${volumetric ? '3D' : '2D'} network`);
}

/**
 * Trains one strategy (FFE, FTL, LWFT(k), TF(k), TTL(k)) on an image classification dataset: model selection on
 * validation, best weights evaluated on test; see FinetuneOptions for the settings and their defaults.
 */
export async function finetune(options: FinetuneOptions): Promise<FinetuneResult> {
  const s = planTraining(options);
  const { card } = s;
  const data = typeof options.data === 'string' ? (await loadDataset(options.data, { seed: options.seed, ...options.dataOptions })).dataset : options.data;
  checkDimensions(data, card);
  checkSplits(data);
  const numClasses = data.classes.length;
  const select = oneOf('select', options.select ?? 'auroc', ['auroc', 'auprc', 'loss'] as const);
  const { classWeights, posWeight } = lossWeights(options, data);

  return withTrainingModel(s, { head: 'linear', numClasses, multiLabel: isMultiLabel(data) }, async (model) => {
    const evalBatch = Math.max(s.batchSize, 64);
    const train = toNativeStore(data.train, data.kind);
    const [val, test] = [imageChunks(data.val, data.kind, evalBatch), imageChunks(data.test, data.kind, evalBatch)];
    await model.configureTraining(trainingOptim(s, data.train.labels.length, classWeights, posWeight));
    const loop = await epochLoop(model, train, s, async () => {
      const { scores, loss } = await evaluateSplit(model, val, s.pipeline, evalBatch);
      const metrics = splitMetrics(data, 'val', scores.data);
      return { metrics, loss, score: select === 'loss' ? -loss : select === 'auprc' ? metrics.auprc : metrics.auroc };
    }, {
      onBatch: (epoch, b) => options.onProgress?.({ type: 'batch', epoch, ...b }),
      onEpoch: (e) => options.onProgress?.({ type: 'epoch', epoch: e.epoch, epochs: s.epochs, trainLoss: e.trainLoss, valLoss: e.val.loss, val: e.val.metrics, seconds: e.seconds, best: e.best }),
      signal: s.signal,
    });
    // The best epoch's weights are restored: these are the predictions its metrics came from.
    // The probabilities are float32 natively: the conversion back is exact.
    const probabilities = async (chunks: NativeStore[]) => Float32Array.from((await evaluateSplit(model, chunks, s.pipeline, evalBatch)).scores.data);
    const valProbs = await probabilities(val);
    const testProbs = await probabilities(test);
    const complexity = await model.complexity(networkInputShape(card, s.size));
    const curves = loop.epochs.map((e) => ({
      epoch: e.epoch, trainLoss: e.trainLoss, valLoss: e.val.loss, valAuroc: e.val.metrics.auroc, valAuprc: e.val.metrics.auprc, lr: e.lr, seconds: e.seconds,
    }));
    const result = trialResult(s, model, loop, splitMetrics(data, 'test', testProbs), curves, complexity);
    return { ...result, predictions: { val: valProbs, test: testProbs } };
  }, {
    task: isMultiLabel(data) ? 'multilabel' : 'classification', classes: data.classes, volume: data.volume, dicom: data.dicom,
    storage: { kind: data.kind, shape: data.train.shape.slice(1), depth: sampleBits(data.train) },
  });
}
