// The root API: build or load a model, finetune it, run the whole experiment, export and serve the result. The
// rest is in subpaths: ttl-torch/models, /data, /train, /run, /metrics, /analysis, /weights, /parallel,
// /runtime and /errors (package.json "exports"; docs/api.md).
export { createModel, type Model, type CreateModelOptions } from './model.js';
export { listModels, getModelCard, type ModelCard } from './registry.js';
export { finetune, type FinetuneOptions, type FinetuneResult } from './train/finetune.js';
export { trainSegmentation, type SegmentOptions, type SegmentResult } from './train/segment.js';
export { run, resume, report, type RunOptions } from './run/api.js';
export type { RunConfig } from './run/config.js';
export type { RunCallbacks } from './run/runner.js';
export type { Results } from './run/report.js';
export { loadPredictor, type Predictor, type PredictorOptions, type PredictInput, type PixelInput, type PredictBatchOptions, type Prediction, type MultiLabelPrediction, type SegmentationPrediction } from './predictor.js';
export { exportOnnx, type ExportOnnxOptions, type ExportOnnxResult } from './export/onnx.js';
export { runtimeInfo, type RuntimeInfo } from './runtime.js';
export { TtlError, type ErrorCode } from './errors.js';
