// ttl-torch/models: the model registry (cards, custom cards), cutoffs and their complexity table, and the Model
// that createModel() builds (createModel, listModels and getModelCard are also in the root API).
export { createModel, Model, MEMORY_FORMATS, type CreateModelOptions, type ModelOptions, type MemoryFormat, type ForwardResult, type LoadReport, type LoadWeightsOptions, type UnitInfo, type TrainStepOptions, type Device, type HeadKind } from './model.js';
export { listModels, getModelCard, registerModel, HEAD_KINDS, type ModelCard, type WeightsCard, type WeightFile } from './registry.js';
export { resolveCutoff, blockOf, type Cutoff } from './cutoff/resolve.js';
export { cutoffTable, type CutoffRow } from './cutoff/table.js';
export type { InferenceCopyInfo, Int8CopyInfo, NativeAugmentOptions, NativeComplexity, NativePipelineOptions, NativeStore } from './native/binding.js';
export type { Tensor } from './nn/tensor.js';
export { QUANTIZED_ENGINES, type QuantizedEngine } from './int8.js';
