// The training defaults, in one place: finetune(), trainSegmentation(), the LR range test and `ttl-torch run`
// (RUN_DEFAULTS takes its training fields from here) all read them.
import type { LastBatch, NativeAugmentOptions } from '../native/binding.js';
import type { ModelCard } from '../registry.js';

export const LAST_BATCH: readonly LastBatch[] = ['keep', 'even', 'drop'];

/**
 * Defaults of finetune(), trainSegmentation() and `ttl-torch run`, chosen by `npm run bench -- defaults`
 * (docs/studies/training-defaults.md). weightDecay 1e-4, what `run` has always used; finetune() had 0 until 0.2.0.
 * Model.trainStep() is the bare primitive and deliberately applies none of them (no clipping, no weight decay,
 * like one optimiser step in PyTorch) unless its options ask.
 */
export const TRAINING_DEFAULTS = {
  lr: 0.01, batchSize: 32, warmup: 0.05, clipGradNorm: 5, lastBatch: 'drop' as LastBatch, weightDecay: 1e-4,
  epochs: 10, optimizer: 'sgd' as 'sgd' | 'adamw', momentum: 0.9, nesterov: false, pretrainedLrScale: 1,
};

/** The default head learning rate of a model: its card's own where it declares one, else the general default. */
export const defaultLr = (card: ModelCard) => card.train?.lr ?? TRAINING_DEFAULTS.lr;

/** The training augmentation: one affine resample (random resized crop, flip, rotation), brightness and contrast. */
export const DEFAULT_AUGMENT: NativeAugmentOptions = {
  cropScaleMin: 0.75, maxAspectLog: 0.1, hflip: true, maxRotationDeg: 10, brightness: 0.1, contrast: 0.1,
};
