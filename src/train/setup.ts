// What every training task (classification finetune, segmentation) validates and builds the same way: the
// options resolved once into a TrainingPlan, then the schedule, the model, its cancellation and disposal, from it.
import { configHash, type CheckpointInfo } from '../weights/checkpoint.js';
import { ProcessGroup, dataParallelOptions, makeDataParallel } from '../parallel/c10d.js';
import { TtlError, invalidParameterError } from '../errors.js';
import { createModel, optimOptions, type CreateModelOptions, type Device, type HeadKind, type Model } from '../model.js';
import type { LastBatch, NativeAugmentOptions, NativeDataParallelOptions, NativeEpochOptions, NativeOptimOptions, NativePipelineOptions } from '../native/binding.js';
import { callSync } from '../native/call.js';
import { native } from '../native/loader.js';
import { getModelCard, normalisation, type ModelCard } from '../registry.js';
import { booleanOf, integerIn, isObject, numberIn, oneOf, trainingAutocast } from '../validate.js';
import { DEFAULT_AUGMENT, LAST_BATCH, TRAINING_DEFAULTS, defaultLr } from './defaults.js';
import type { ResolveOptions } from '../weights/resolve.js';
import { planStrategy, type Strategy, type StrategyPlan } from './strategies.js';
import { warnIfBf16Emulated } from './bf16-support.js';

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
  t: TrainingPlan, model: Model,
  loop: { bestEpoch: number; best: M; trainSeconds: number; samplesPerSecond: number; stoppedEarly: boolean },
  test: M, curves: C[], complexity: { params: number; trainableParams: number; macs: number },
): TrialResult<M, C> {
  return {
    strategy: t.plan.name, k: t.plan.k, bestEpoch: loop.bestEpoch, val: loop.best, test, curves,
    params: complexity.params, trainableParams: complexity.trainableParams, macs: complexity.macs, trainSeconds: loop.trainSeconds,
    imagesPerSecond: loop.samplesPerSecond, stoppedEarly: loop.stoppedEarly, checkpoint: t.checkpoint,
    model: t.keepModel ? model : undefined,
  };
}

/**
 * A trial's options resolved once, each validated with a message naming it and defaulted from TRAINING_DEFAULTS:
 * everything the model, the optimiser, the epoch loop and the result read. Nothing after planTraining() looks at
 * the caller's options again.
 */
export interface TrainingPlan {
  card: ModelCard;
  plan: StrategyPlan;
  epochs: number;
  batchSize: number;
  size: number;
  lr: number;
  optimizer: 'sgd' | 'adamw';
  momentum: number;
  nesterov: boolean;
  weightDecay: number;
  warmup: number;
  clipGradNorm: number;
  lastBatch: LastBatch;
  patience: number;
  seed: number;
  pipeline: NativePipelineOptions;
  augment?: NativeAugmentOptions;
  autocast: '' | 'bf16';
  parallel: NativeDataParallelOptions;
  group?: ProcessGroup;
  /** How the model is built and where its weights come from. */
  model: Pick<CreateModelOptions, 'dropout' | 'headInit' | 'weights' | 'allowMissing' | 'device' | 'resolve'>;
  checkpoint?: string;
  keepModel: boolean;
  signal?: AbortSignal;
  /** sha256 (16 hex) of the options that shape the weights, for the checkpoint. */
  configHash: string;
}

export function planTraining(options: TrainingOptions): TrainingPlan {
  if (!isObject(options)) throw invalidParameterError('options', 'an object', options);
  const card = getModelCard(options.model);
  const strategy = planStrategy(card, options.strategy, numberIn('pretrainedLrScale', options.pretrainedLrScale ?? TRAINING_DEFAULTS.pretrainedLrScale, 0, 1000));
  const epochs = integerIn('epochs', options.epochs ?? TRAINING_DEFAULTS.epochs, 1, 10000);
  const size = integerIn('imageSize', options.imageSize ?? card.input.size, 16, 4096);
  const parallel = dataParallelOptions({ syncBatchNorm: options.syncBatchNorm });
  if (options.group !== undefined && !(options.group instanceof ProcessGroup)) throw invalidParameterError('group', 'a ProcessGroup', options.group);
  if (parallel.syncBatchNorm && !options.group)
    throw new TtlError('E_BAD_ARGUMENT', 'syncBatchNorm shares batch statistics between the ranks of a group: pass group too');
  return {
    card, plan: strategy, epochs, size,
    batchSize: integerIn('batchSize', options.batchSize ?? TRAINING_DEFAULTS.batchSize, 1, 4096),
    lr: numberIn('lr', options.lr ?? defaultLr(card), 0, 10),
    optimizer: oneOf('optimizer', options.optimizer ?? TRAINING_DEFAULTS.optimizer, ['sgd', 'adamw'] as const),
    momentum: numberIn('momentum', options.momentum ?? TRAINING_DEFAULTS.momentum, 0, 1),
    nesterov: booleanOf('nesterov', options.nesterov ?? TRAINING_DEFAULTS.nesterov),
    weightDecay: numberIn('weightDecay', options.weightDecay ?? TRAINING_DEFAULTS.weightDecay, 0, 1),
    warmup: numberIn('warmup', options.warmup ?? TRAINING_DEFAULTS.warmup, 0, 0.5),
    clipGradNorm: numberIn('clipGradNorm', options.clipGradNorm ?? TRAINING_DEFAULTS.clipGradNorm, 0, 1e6),
    lastBatch: oneOf('lastBatch', options.lastBatch ?? TRAINING_DEFAULTS.lastBatch, LAST_BATCH),
    patience: integerIn('patience', options.patience ?? epochs, 1, 10000),
    seed: integerIn('seed', options.seed ?? 0, 0, 2 ** 31 - 1),
    pipeline: { size, channels: card.input.channels, ...normalisation(card, options.weights) },
    augment: options.augment === false ? undefined : { ...DEFAULT_AUGMENT, ...(isObject(options.augment) ? options.augment : {}) },
    autocast: trainingAutocast('autocast', options.autocast),
    parallel,
    group: options.group,
    model: { dropout: options.dropout, headInit: options.headInit, weights: options.weights, allowMissing: options.allowMissing, device: options.device, resolve: options.resolve },
    checkpoint: options.checkpoint,
    keepModel: options.keepModel ?? false,
    signal: options.signal,
    configHash: trainingConfigHash(options as TrainingOptions & Record<string, unknown>),
  };
}

/** What the native trainer needs to draw epoch `epoch`'s batches. */
export const epochOptions = (t: TrainingPlan, epoch: number): NativeEpochOptions => ({ batchSize: t.batchSize, seed: t.seed, epoch, lastBatch: t.lastBatch });

/**
 * How many batches an epoch of `count` samples trains: asked of the native epoch's own rule (full batches only for
 * 'drop'; a last batch with fewer than 2 samples per rank is not trained, since batch norm needs two).
 */
export function batchesPerEpoch(count: number, batchSize: number, lastBatch: LastBatch, ranks = 1): number {
  return callSync(() => native().batchesPerEpoch(count, batchSize, lastBatch, ranks));
}

/**
 * The optimiser configuration of a plan; the schedule spans the steps of `epochs` epochs of `trainCount` samples.
 * `classWeights` weigh a softmax's classes, `posWeight` a multi-label network's positives per label (empty: none).
 */
export function trainingOptim(t: TrainingPlan, trainCount: number, classWeights: number[], posWeight: number[] = []): NativeOptimOptions {
  const stepsPerEpoch = batchesPerEpoch(trainCount, t.batchSize, t.lastBatch, t.group?.worldSize);
  return optimOptions({
    optimizer: t.optimizer, lr: t.lr, momentum: t.momentum, nesterov: t.nesterov, weightDecay: t.weightDecay,
    unitLrScale: t.plan.unitLrScale, headLrScale: 1, epochs: t.epochs,
    warmupSteps: Math.round(t.warmup * t.epochs * stepsPerEpoch), stepsPerEpoch, classWeights, posWeight,
    autocast: t.autocast, clipGradNorm: t.clipGradNorm,
  });
}

/** The training options that shape the weights (not where data or checkpoints live, not callbacks). */
export function trainingConfigHash(options: TrainingOptions & Record<string, unknown>): string {
  // How many ranks trained it does not change what was trained (up to summation order).
  const { data: _data, checkpoint: _checkpoint, signal: _signal, onProgress: _onProgress, keepModel: _keep, resolve: _resolve, group: _group, ...rest } = options;
  return configHash({ ...rest, data: typeof options.data === 'string' ? options.data : (options.data as { name?: string } | undefined)?.name });
}

/** What a task adds to a checkpoint's metadata beyond the model's identity and the settings' pipeline. */
export type CheckpointDescription = Pick<CheckpointInfo, 'task' | 'classes' | 'storage' | 'intensityWindow' | 'volume' | 'dicom'>;

/** The checkpoint metadata of a trial: identity comes from the model, the input pipeline from the plan. */
export function describeTrial(t: TrainingPlan, description: CheckpointDescription): Partial<CheckpointInfo> {
  const p = t.pipeline;
  return {
    ...description,
    input: { size: p.size, shape: p.shape, frames: t.card.input.frames, channels: p.channels, mean: p.mean, std: p.std },
    configHash: t.configHash,
  };
}

/**
 * Builds the plan's model with the given head (a sigmoid per label when multiLabel) and runs `work` on it,
 * honouring the abort signal; the model is disposed afterwards (once its calls settled) unless keepModel is set and
 * the work succeeded. `description` goes into the checkpoint the plan asks for.
 */
export async function withTrainingModel<R>(
  t: TrainingPlan, network: { head: HeadKind; numClasses: number; multiLabel?: boolean },
  work: (model: Model) => Promise<R>, description?: CheckpointDescription,
): Promise<R> {
  const model = await createModel({
    model: t.card.name, cutoff: t.plan.keepUnits, slimAfter: t.plan.slimAfter, ...network, seed: t.seed, signal: t.signal, ...t.model,
  });
  warnIfBf16Emulated(t.autocast, model.device);
  // The native flag is sticky, so an abort between two native calls still stops the next one.
  const abort = () => model.cancel(true);
  let succeeded = false;
  t.signal?.addEventListener('abort', abort);
  try {
    if (t.signal?.aborted) throw new TtlError('E_CANCELLED', 'training was cancelled');
    if (t.group) await makeDataParallel(model, t.group, t.parallel);
    const result = await work(model);
    if (t.checkpoint && (t.group?.rank ?? 0) === 0) await model.saveWeights(t.checkpoint, description ? describeTrial(t, description) : {});
    succeeded = true;
    return result;
  } finally {
    t.signal?.removeEventListener('abort', abort);
    if (!t.keepModel || !succeeded) await model.close();
  }
}
