export { TtlError, invalidParameterError, type ErrorCode } from './errors.js';
export { createModel, Model, type CreateModelOptions, type ForwardResult, type LoadReport, type LoadWeightsOptions, type UnitInfo, type TrainStepOptions, type Device, type HeadKind } from './model.js';
export { listModels, getModelCard, registerModel, type ModelCard, type WeightsCard, type WeightFile } from './registry.js';
export { resolveCutoff, blockOf, type Cutoff } from './cutoff.js';
export { readSafetensors, writeSafetensors, toFloat32, type SafeTensor, type SafeTensorsFile } from './weights/safetensors.js';
export { resolveWeights, defaultCacheDir, sha256File, type ResolveOptions, type ResolvedWeights } from './weights/resolve.js';
export { runtimeInfo, setThreads, type RuntimeInfo } from './runtime.js';
export { cutoffTable, type CutoffRow } from './cutoffs.js';
export type { Tensor } from './nn/tensor.js';
