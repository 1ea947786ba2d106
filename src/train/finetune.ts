// finetune(): one trial of one strategy on one dataset, with model selection on the validation split.
import { TtlError, invalidParameterError } from '../errors.js';
import { classCounts, toNativeStore, type ImageDataset } from '../data/dataset.js';
import { loadDataset } from '../data/load.js';
import type { LoadImagesOptions } from '../data/manifest.js';
import { classificationMetrics, type ClassificationMetrics } from '../metrics/classification.js';
import { call, createModel, nativeOf, optimOptions, type Device, type Model } from '../model.js';
import type { NativeAugmentOptions, NativePipelineOptions } from '../native.js';
import { getModelCard } from '../registry.js';
import { integerIn, isObject, numberIn, oneOf } from '../validate.js';
import type { ResolveOptions } from '../weights/resolve.js';
import { planStrategy, strategyName, type Strategy } from './strategies.js';

export type SelectMetric = 'auroc' | 'auprc' | 'loss';

export interface FinetuneOptions {
  model: string;
  /** Card weights name (e.g. 'imagenet') or a checkpoint path; omit to train from scratch. */
  weights?: string;
  allowMissing?: boolean;
  strategy: Strategy;
  /** A decoded dataset, or a path: MedMNIST .npz, a folder of class folders, or a CSV manifest. */
  data: ImageDataset | string;
  /** How a path is decoded (size, colour, split fractions, skipBad, CSV columns). */
  dataOptions?: LoadImagesOptions;
  imageSize?: number;
  epochs?: number;
  batchSize?: number;
  /** Learning rate of the head (eta); pretrained units train at eta * pretrainedLrScale. */
  lr?: number;
  pretrainedLrScale?: number;
  optimizer?: 'sgd' | 'adamw';
  momentum?: number;
  nesterov?: boolean;
  weightDecay?: number;
  warmupEpochs?: number;
  /** 'balanced' weights classes by inverse frequency. */
  classWeights?: 'balanced' | number[];
  /** Mixed precision: 'bf16' (CPU with AVX-512 BF16, or CUDA) or 'fp16' (CUDA). */
  autocast?: 'bf16' | 'fp16';
  augment?: boolean | Partial<NativeAugmentOptions>;
  dropout?: number;
  select?: SelectMetric;
  /** Stop after this many epochs without improvement of the selection metric. */
  patience?: number;
  seed?: number;
  device?: Device;
  resolve?: ResolveOptions;
  /** Write the best weights here (safetensors). */
  checkpoint?: string;
  onProgress?: (event: ProgressEvent) => void;
  signal?: AbortSignal;
  /** Return the trained model (best weights) in the result instead of disposing it; the caller disposes. */
  keepModel?: boolean;
}

export type ProgressEvent =
  | { type: 'batch'; epoch: number; batch: number; batches: number; loss: number }
  | { type: 'epoch'; epoch: number; epochs: number; trainLoss: number; valLoss: number; val: ClassificationMetrics; seconds: number; best: boolean };

export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  valLoss: number;
  valAuroc: number;
  valAuprc: number;
  lr: number;
  seconds: number;
}

export interface FinetuneResult {
  strategy: string;
  k: number;
  bestEpoch: number;
  val: ClassificationMetrics;
  test: ClassificationMetrics;
  curves: EpochRecord[];
  params: number;
  trainableParams: number;
  macs: number;
  trainSeconds: number;
  imagesPerSecond: number;
  stoppedEarly: boolean;
  checkpoint?: string;
  model?: Model;
}

const DEFAULT_AUGMENT: NativeAugmentOptions = {
  cropScaleMin: 0.75, maxAspectLog: 0.1, hflip: true, maxRotationDeg: 10, brightness: 0.1, contrast: 0.1,
};

function crossEntropy(labels: Int32Array, probs: Float32Array, numClasses: number): number {
  let sum = 0;
  for (let i = 0; i < labels.length; i++) sum -= Math.log(Math.max(probs[i * numClasses + labels[i]], 1e-12));
  return sum / labels.length;
}

function checkSplits(data: ImageDataset): void {
  for (const name of ['train', 'val', 'test'] as const) {
    const counts = classCounts(data[name], data.classes.length);
    const missing = counts.map((c, i) => (c === 0 ? data.classes[i] : null)).filter((c) => c !== null);
    if (missing.length)
      throw new TtlError('E_BAD_INPUT', `${data.name}: the ${name} split has no images of class ${missing.join(', ')} (counts ${counts.join('/')})`);
  }
}

function selectionScore(select: SelectMetric, val: ClassificationMetrics, valLoss: number): number {
  return select === 'loss' ? -valLoss : select === 'auprc' ? val.auprc : val.auroc;
}

export async function finetune(options: FinetuneOptions): Promise<FinetuneResult> {
  if (!isObject(options)) throw invalidParameterError('options', 'an object', options);
  const card = getModelCard(options.model);
  const plan = planStrategy(card, options.strategy, numberIn('pretrainedLrScale', options.pretrainedLrScale ?? 1, 0, 1000));
  const data = typeof options.data === 'string' ? (await loadDataset(options.data, { seed: options.seed, ...options.dataOptions })).dataset : options.data;
  const volumetric = Boolean(card.input.frames);
  if ((data.kind === 'volume') !== volumetric)
    throw new TtlError('E_BAD_INPUT', `${data.name} holds ${data.kind === 'volume' ? '3D volumes' : '2D images'} but ${card.name} is a ${volumetric ? '3D' : '2D'} network`);
  checkSplits(data);
  const numClasses = data.classes.length;
  const epochs = integerIn('epochs', options.epochs ?? 10, 1, 10000);
  const batchSize = integerIn('batchSize', options.batchSize ?? 32, 1, 4096);
  const size = integerIn('imageSize', options.imageSize ?? card.input.size, 16, 4096);
  const lr = numberIn('lr', options.lr ?? 0.01, 0, 10);
  const select = oneOf('select', options.select ?? 'auroc', ['auroc', 'auprc', 'loss'] as const);
  const patience = integerIn('patience', options.patience ?? epochs, 1, 10000);
  const seed = integerIn('seed', options.seed ?? 0, 0, 2 ** 31 - 1);
  const counts = classCounts(data.train, numClasses);
  const classWeights =
    options.classWeights === 'balanced'
      ? counts.map((c) => data.train.labels.length / (numClasses * c))
      : (options.classWeights ?? []);
  if (classWeights.length && classWeights.length !== numClasses)
    throw invalidParameterError('classWeights', `'balanced' or ${numClasses} numbers`, options.classWeights);

  const preprocess = options.weights && card.weights[options.weights] ? card.weights[options.weights].preprocess : card.weights.imagenet?.preprocess;
  const augment = options.augment === false ? undefined : { ...DEFAULT_AUGMENT, ...(isObject(options.augment) ? options.augment : {}) };
  const pipeline: NativePipelineOptions = {
    size, channels: card.input.channels, mean: preprocess?.mean ?? [0.5, 0.5, 0.5], std: preprocess?.std ?? [0.5, 0.5, 0.5],
  };
  const model = await createModel({
    name: card.name, cutoff: plan.keepUnits, slimAfter: plan.slimAfter, numClasses, dropout: options.dropout,
    weights: options.weights, allowMissing: options.allowMissing, device: options.device, seed, resolve: options.resolve,
  });
  const net = nativeOf(model);
  const abort = () => net.cancel();
  let succeeded = false;
  options.signal?.addEventListener('abort', abort);
  try {
    if (options.signal?.aborted) throw new TtlError('E_CANCELLED', 'training was cancelled');
    const [train, val, test] = [toNativeStore(data.train, data.kind), toNativeStore(data.val, data.kind), toNativeStore(data.test, data.kind)];
    await call(() => net.configureTraining(optimOptions({
      optimizer: options.optimizer ?? 'sgd', lr, momentum: options.momentum ?? 0.9, nesterov: options.nesterov ?? false,
      weightDecay: options.weightDecay ?? 0, unitLrScale: plan.unitLrScale, headLrScale: 1, epochs,
      warmupEpochs: options.warmupEpochs ?? 0, stepsPerEpoch: Math.ceil(data.train.labels.length / batchSize),
      classWeights, autocast: options.autocast ?? '',
    })));
    const curves: EpochRecord[] = [];
    let best = { score: -Infinity, epoch: 0, val: undefined as ClassificationMetrics | undefined };
    let trainSeconds = 0;
    let trained = 0;
    let stoppedEarly = false;
    for (let epoch = 1; epoch <= epochs; epoch++) {
      const start = performance.now();
      const stats = await call(() => net.trainEpoch(train, { ...pipeline, augment }, { batchSize, seed, epoch }, (b) =>
        options.onProgress?.({ type: 'batch', epoch, ...b }),
      ));
      const seconds = (performance.now() - start) / 1000;
      trainSeconds += seconds;
      trained += stats.samples;
      const probs = await call(() => net.predict(val, pipeline, Math.max(batchSize, 64)));
      if (!probs.data.every(Number.isFinite))
        throw new TtlError('E_DIVERGED', `training diverged: validation outputs are not finite after epoch ${epoch}`);
      const valMetrics = classificationMetrics(data.val.labels, probs.data, numClasses);
      const valLoss = crossEntropy(data.val.labels, probs.data, numClasses);
      const score = selectionScore(select, valMetrics, valLoss);
      const improved = score > best.score;
      if (improved) {
        best = { score, epoch, val: valMetrics };
        await call(() => net.snapshot());
      }
      curves.push({ epoch, trainLoss: stats.loss, valLoss, valAuroc: valMetrics.auroc, valAuprc: valMetrics.auprc, lr: stats.lr, seconds });
      options.onProgress?.({ type: 'epoch', epoch, epochs, trainLoss: stats.loss, valLoss, val: valMetrics, seconds, best: improved });
      if (epoch - best.epoch >= patience) {
        stoppedEarly = epoch < epochs;
        break;
      }
    }
    await call(() => net.restore());
    const testProbs = await call(() => net.predict(test, pipeline, Math.max(batchSize, 64)));
    const complexity = await model.complexity([card.input.channels, ...(volumetric ? [size] : []), size, size]);
    if (options.checkpoint) await model.saveWeights(options.checkpoint);
    succeeded = true;
    return {
      strategy: strategyName(options.strategy), k: plan.k, bestEpoch: best.epoch, val: best.val!,
      test: classificationMetrics(data.test.labels, testProbs.data, numClasses), curves,
      params: complexity.params, trainableParams: complexity.trainableParams,
      macs: complexity.macs, trainSeconds, imagesPerSecond: trained / trainSeconds, stoppedEarly, checkpoint: options.checkpoint,
      model: options.keepModel ? model : undefined,
    };
  } finally {
    options.signal?.removeEventListener('abort', abort);
    if (!options.keepModel || !succeeded) model.dispose();
  }
}
