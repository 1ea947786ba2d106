// What every training task (classification finetune, segmentation) validates and builds the same way:
// strategy plan, schedule, input pipeline, the model, and its cancellation and disposal.
import { configHash, type CheckpointInfo } from '../weights/checkpoint.js';
import { ProcessGroup, dataParallelOptions, makeDataParallel } from '../parallel/c10d.js';
import { TtlError, invalidParameterError } from '../errors.js';
import { createModel, optimOptions, type Device, type HeadKind, type Model } from '../model.js';
import type { LastBatch, NativeAugmentOptions, NativeDataParallelOptions, NativeEpochOptions, NativeOptimOptions, NativePipelineOptions } from '../native/binding.js';
import { getModelCard, normalisation, type ModelCard } from '../registry.js';
import { integerIn, isObject, numberIn, oneOf, trainingAutocast } from '../validate.js';
import type { ResolveOptions } from '../weights/resolve.js';
import { planStrategy, strategyName, type Strategy, type StrategyPlan } from './strategies.js';

export interface TrainingOptions {
  model: string;
  /** Card weights name (e.g. 'imagenet') or a checkpoint path; omit to train from scratch. */
  weights?: string;
  allowMissing?: boolean;
  strategy: Strategy;
  /** Input size (square / cubic) of the network. */
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
  /** Linear warm-up over this fraction of all training steps (0..0.5), then cosine decay per step. */
  warmup?: number;
  /**
   * Mixed precision: 'bf16' (CPU with AVX-512 BF16, or CUDA). 'fp16' is refused for training: its gradients
   * underflow without loss scaling, which ttl-torch does not do.
   */
  autocast?: 'bf16' | 'fp16';
  augment?: boolean | Partial<NativeAugmentOptions>;
  /** Largest global gradient L2 norm of a step (larger ones are rescaled to it); 0 turns clipping off. */
  clipGradNorm?: number;
  /**
   * The samples that do not fill a last batch (546 at 32: 2, which would train on their own batch-norm statistics
   * and loss; README, training defaults: spikes): 'drop' them as PyTorch's drop_last (the default; each epoch's
   * shuffle leaves out others; a set under one batch trains whole), keep a ragged last batch ('keep'), or split the
   * epoch into near-equal batches ('even').
   */
  lastBatch?: LastBatch;
  /** How the new head starts (see CreateModelOptions.headInit). */
  headInit?: 'random' | 'zero';
  dropout?: number;
  /** Stop after this many epochs without improvement of the selection metric. */
  patience?: number;
  seed?: number;
  device?: Device;
  resolve?: ResolveOptions;
  /** Write the best weights here (safetensors), with what a predictor needs in its metadata (see loadPredictor). */
  checkpoint?: string;
  /**
   * Cancels (E_CANCELLED) within one batch: during a weights download, an epoch, validation or the final test
   * pass, and between epochs.
   */
  signal?: AbortSignal;
  /** Return the trained model (best weights) in the result instead of disposing it; the caller disposes. */
  keepModel?: boolean;
  /**
   * Data-parallel: train this trial on every rank of the group together (each rank trains its slice of every
   * batch of batchSize, gradients averaged; initial weights from rank 0; evaluation split and gathered).
   * Every rank calls with the same options; only rank 0 writes the checkpoint.
   */
  group?: ProcessGroup;
  /** With `group`: SyncBatchNorm, batch statistics over all ranks' rows (see DataParallelOptions; default false). */
  syncBatchNorm?: boolean;
}

/** What one trial of any task returns: selection epoch, validation/test metrics, curves, size and speed. */
export interface TrialResult<M, C> {
  strategy: string;
  k: number;
  bestEpoch: number;
  val: M;
  test: M;
  curves: C[];
  params: number;
  trainableParams: number;
  macs: number;
  trainSeconds: number;
  imagesPerSecond: number;
  stoppedEarly: boolean;
  checkpoint?: string;
  /** The trained model (best weights) when keepModel was set; the caller disposes it. */
  model?: Model;
}

/** Assembles a trial's result once its loop, test metrics and complexity are known. */
export function trialResult<M, C>(
  options: TrainingOptions, s: TrainingSettings, model: Model,
  loop: { bestEpoch: number; best: M; trainSeconds: number; samplesPerSecond: number; stoppedEarly: boolean },
  test: M, curves: C[], complexity: { params: number; trainableParams: number; macs: number },
): TrialResult<M, C> {
  return {
    strategy: strategyName(s.card, options.strategy), k: s.plan.k, bestEpoch: loop.bestEpoch, val: loop.best, test, curves,
    params: complexity.params, trainableParams: complexity.trainableParams, macs: complexity.macs, trainSeconds: loop.trainSeconds,
    imagesPerSecond: loop.samplesPerSecond, stoppedEarly: loop.stoppedEarly, checkpoint: options.checkpoint,
    model: options.keepModel ? model : undefined,
  };
}

export interface TrainingSettings {
  card: ModelCard;
  plan: StrategyPlan;
  epochs: number;
  batchSize: number;
  size: number;
  lr: number;
  warmup: number;
  clipGradNorm: number;
  lastBatch: LastBatch;
  patience: number;
  seed: number;
  pipeline: NativePipelineOptions;
  augment?: NativeAugmentOptions;
  autocast: '' | 'bf16';
  parallel: NativeDataParallelOptions;
}

export const LAST_BATCH: readonly LastBatch[] = ['keep', 'even', 'drop'];

/**
 * Defaults of finetune(), trainSegmentation() and `ttl-torch run` (the one place they are set), chosen by
 * `npm run bench -- defaults` (README). weightDecay 1e-4, what `run` has always used; finetune() had 0 until 0.2.0.
 * Model.trainStep() is the bare primitive and deliberately applies none of them (no clipping, no weight decay,
 * like one optimiser step in PyTorch) unless its options ask.
 */
export const TRAINING_DEFAULTS = { lr: 0.01, batchSize: 32, warmup: 0.05, clipGradNorm: 5, lastBatch: 'drop' as LastBatch, weightDecay: 1e-4 };

/** The default head learning rate of a model: its card's own where it declares one, else the general default. */
export const defaultLr = (card: ModelCard) => card.train?.lr ?? TRAINING_DEFAULTS.lr;

const DEFAULT_AUGMENT: NativeAugmentOptions = {
  cropScaleMin: 0.75, maxAspectLog: 0.1, hflip: true, maxRotationDeg: 10, brightness: 0.1, contrast: 0.1,
};

export function trainingSettings(options: TrainingOptions): TrainingSettings {
  if (!isObject(options)) throw invalidParameterError('options', 'an object', options);
  const card = getModelCard(options.model);
  const plan = planStrategy(card, options.strategy, numberIn('pretrainedLrScale', options.pretrainedLrScale ?? 1, 0, 1000));
  const epochs = integerIn('epochs', options.epochs ?? 10, 1, 10000);
  const size = integerIn('imageSize', options.imageSize ?? card.input.size, 16, 4096);
  const parallel = dataParallelOptions({ syncBatchNorm: options.syncBatchNorm });
  if (parallel.syncBatchNorm && !options.group)
    throw new TtlError('E_BAD_ARGUMENT', 'syncBatchNorm shares batch statistics between the ranks of a group: pass group too');
  return {
    card, plan, epochs, size,
    batchSize: integerIn('batchSize', options.batchSize ?? TRAINING_DEFAULTS.batchSize, 1, 4096),
    lr: numberIn('lr', options.lr ?? defaultLr(card), 0, 10),
    warmup: numberIn('warmup', options.warmup ?? TRAINING_DEFAULTS.warmup, 0, 0.5),
    clipGradNorm: numberIn('clipGradNorm', options.clipGradNorm ?? TRAINING_DEFAULTS.clipGradNorm, 0, 1e6),
    lastBatch: oneOf('lastBatch', options.lastBatch ?? TRAINING_DEFAULTS.lastBatch, LAST_BATCH),
    patience: integerIn('patience', options.patience ?? epochs, 1, 10000),
    seed: integerIn('seed', options.seed ?? 0, 0, 2 ** 31 - 1),
    pipeline: { size, channels: card.input.channels, ...normalisation(card, options.weights) },
    augment: options.augment === false ? undefined : { ...DEFAULT_AUGMENT, ...(isObject(options.augment) ? options.augment : {}) },
    autocast: trainingAutocast('autocast', options.autocast),
    parallel,
  };
}

/** What the native trainer needs to draw epoch `epoch`'s batches. */
export const epochOptions = (s: TrainingSettings, epoch: number): NativeEpochOptions => ({ batchSize: s.batchSize, seed: s.seed, epoch, lastBatch: s.lastBatch });

/**
 * How many batches an epoch of `count` samples trains, as the native epoch draws them: full batches only for 'drop',
 * and a last batch with fewer than 2 samples per rank is skipped (batch norm needs two).
 */
export function batchesPerEpoch(count: number, batchSize: number, lastBatch: LastBatch, ranks = 1): number {
  const full = Math.floor(count / batchSize);
  if (lastBatch === 'drop' && full > 0) return full;
  const batches = Math.ceil(count / batchSize);
  const last = lastBatch === 'even' ? Math.floor(count / batches) : count - (batches - 1) * batchSize;
  return batches > 1 && last < 2 * ranks ? batches - 1 : batches;
}

/** The optimiser configuration of a plan; the schedule spans the steps of `epochs` epochs of `trainCount` samples. */
export function trainingOptim(options: TrainingOptions, s: TrainingSettings, trainCount: number, classWeights: number[]): NativeOptimOptions {
  const stepsPerEpoch = batchesPerEpoch(trainCount, s.batchSize, s.lastBatch, options.group?.worldSize);
  return optimOptions({
    optimizer: options.optimizer ?? 'sgd', lr: s.lr, momentum: options.momentum ?? 0.9, nesterov: options.nesterov ?? false,
    weightDecay: numberIn('weightDecay', options.weightDecay ?? TRAINING_DEFAULTS.weightDecay, 0, 1), unitLrScale: s.plan.unitLrScale, headLrScale: 1, epochs: s.epochs,
    warmupSteps: Math.round(s.warmup * s.epochs * stepsPerEpoch), stepsPerEpoch, classWeights,
    autocast: s.autocast, clipGradNorm: s.clipGradNorm,
  });
}

/** The training options that shape the weights (not where data or checkpoints live, not callbacks). */
export function trainingConfigHash(options: TrainingOptions & Record<string, unknown>): string {
  // How many ranks trained it does not change what was trained (up to summation order).
  const { data: _data, checkpoint: _checkpoint, signal: _signal, onProgress: _onProgress, keepModel: _keep, resolve: _resolve, group: _group, ...rest } = options;
  return configHash({ ...rest, data: typeof options.data === 'string' ? options.data : (options.data as { name?: string } | undefined)?.name });
}

/** What a task adds to a checkpoint's metadata beyond the model's identity and the settings' pipeline. */
export type CheckpointDescription = Pick<CheckpointInfo, 'task' | 'classes' | 'storage' | 'intensityWindow' | 'volume'>;

/** The checkpoint metadata of a trial: identity comes from the model, the input pipeline from the settings. */
export function describeTrial(options: TrainingOptions, s: TrainingSettings, description: CheckpointDescription): Partial<CheckpointInfo> {
  const p = s.pipeline;
  return {
    ...description,
    input: { size: p.size, shape: p.shape, frames: s.card.input.frames, channels: p.channels, mean: p.mean, std: p.std },
    configHash: trainingConfigHash(options as TrainingOptions & Record<string, unknown>),
  };
}

/**
 * Builds the plan's model with `head` and runs `work` on it, honouring the abort signal; the model is
 * disposed afterwards (once its calls settled) unless keepModel is set and the work succeeded.
 */
export async function withTrainingModel<R>(
  options: TrainingOptions, s: TrainingSettings, head: HeadKind, numClasses: number,
  work: (model: Model) => Promise<R>, description?: CheckpointDescription,
): Promise<R> {
  if (options.group !== undefined && !(options.group instanceof ProcessGroup)) throw invalidParameterError('group', 'a ProcessGroup', options.group);
  const model = await createModel({
    model: s.card.name, cutoff: s.plan.keepUnits, slimAfter: s.plan.slimAfter, head, numClasses, dropout: options.dropout,
    headInit: options.headInit,
    weights: options.weights, allowMissing: options.allowMissing, device: options.device, seed: s.seed, resolve: options.resolve,
    signal: options.signal,
  });
  // The native flag is sticky, so an abort between two native calls still stops the next one.
  const abort = () => model.cancel(true);
  let succeeded = false;
  options.signal?.addEventListener('abort', abort);
  try {
    if (options.signal?.aborted) throw new TtlError('E_CANCELLED', 'training was cancelled');
    if (options.group) await makeDataParallel(model, options.group, s.parallel);
    const result = await work(model);
    if (options.checkpoint && (options.group?.rank ?? 0) === 0) await model.saveWeights(options.checkpoint, description ? describeTrial(options, s, description) : {});
    succeeded = true;
    return result;
  } finally {
    options.signal?.removeEventListener('abort', abort);
    if (!options.keepModel || !succeeded) await model.close();
  }
}

