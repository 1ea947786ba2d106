// ttl-torch/train: the five transfer strategies, their training defaults, the LR range test, and segmentation
// training (finetune and trainSegmentation are also in the root API).
export { finetune, type FinetuneOptions, type FinetuneResult, type ProgressEvent, type EpochRecord, type SelectMetric } from './finetune.js';
export { planStrategy, strategyName, type Strategy, type DeprecatedStrategy, type StrategyPlan } from './strategies.js';
export { TRAINING_DEFAULTS, defaultLr } from './defaults.js';
export type { TrainingOptions, TrialResult } from './setup.js';
export { lrRangeTest, suggestLr, type LrRange, type LrRangeOptions } from './lr-range.js';
export { trainSegmentation, evaluateSegmentation, type SegmentOptions, type SegmentResult, type SegmentationMetrics, type SegmentProgressEvent, type SegmentEpoch } from './segment.js';
export type { LastBatch } from '../native/binding.js';
