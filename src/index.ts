export { TtlError, invalidParameterError, type ErrorCode } from './errors.js';
export { createModel, Model, type CreateModelOptions, type ForwardResult, type LoadReport, type LoadWeightsOptions, type UnitInfo, type TrainStepOptions, type Device, type HeadKind } from './model.js';
export { listModels, getModelCard, registerModel, type ModelCard, type WeightsCard, type WeightFile } from './registry.js';
export { resolveCutoff, blockOf, type Cutoff } from './cutoff.js';
export { readSafetensors, writeSafetensors, toFloat32, type SafeTensor, type SafeTensorsFile } from './weights/safetensors.js';
export { resolveWeights, defaultCacheDir, sha256File, type ResolveOptions, type ResolvedWeights } from './weights/resolve.js';
export { runtimeInfo, setThreads, type RuntimeInfo } from './runtime.js';
export { cutoffTable, type CutoffRow } from './cutoffs.js';
export type { Tensor } from './nn/tensor.js';
export { auroc, averagePrecision, auprcTrapezoid, atThreshold, youdenThreshold, type ThresholdMetrics } from './metrics/binary.js';
export { classificationMetrics, meanStd, type ClassificationMetrics } from './metrics/classification.js';
export { finetune, type FinetuneOptions, type FinetuneResult, type ProgressEvent, type EpochRecord, type SelectMetric } from './train/finetune.js';
export { planStrategy, strategyName, type Strategy, type StrategyPlan } from './train/strategies.js';
export { readMedMNIST } from './data/medmnist.js';
export { classCounts, type ImageDataset, type ImageSplit } from './data/dataset.js';
export { loadDataset, describeDataset } from './data/load.js';
export { folderEntries, csvEntries, loadEntries, type LoadImagesOptions, type ManifestEntry } from './data/manifest.js';
export { stratifiedSplit, type SplitFractions, type SplitName } from './data/split.js';
export { readDicom } from './data/dicom.js';
export { executeRun, readRunConfig, type RunCallbacks } from './run/runner.js';
export { checkConfig, DEMO, type RunConfig, type StrategyKind, type SearchMode } from './run/config.js';
export { planStageOne, planStageTwo, validCutoffs, type TrialSpec } from './run/plan.js';
export { table, summarise, type TableRow, type CutoffSummary } from './run/results.js';
export { writeReports, markdownTable, type Results } from './run/report.js';
export { resolveDataset, DATASETS } from './data/catalog.js';
export { cca, svcca, sumThreshold, type Activations, type CcaResult, type SvccaResult } from './analysis/svcca.js';
export { probeUnits, type ProbeScore, type ProbeOptions } from './analysis/probes.js';
export { gradCam, writeOverlay, writeMontage, overlayPixels } from './analysis/gradcam.js';
export { runSvcca, type RunSvcca, type UnitSvcca } from './analysis/run-svcca.js';
export { readNifti, scaled, type NiftiVolume } from './data/nifti.js';
export { readDicomSeries, type DicomVolume } from './data/dicom-series.js';
export { runGradcamFigure } from './analysis/run-gradcam.js';
export { readVolume, resampleVolume, shapeForSpacing, windowed, CT_WINDOWS, type Volume, type Intensity } from './data/volume.js';
export {
  loadSegmentationManifest, loadSegmentationPairs, segmentationPairs, toNativeSegmentationStore,
  type SegmentationDataset, type SegmentationSplit, type SegmentationLoadOptions, type SegmentationPair, type LabelClasses,
} from './data/segmentation.js';
export { trainSegmentation, evaluateSegmentation, type SegmentOptions, type SegmentResult, type SegmentationMetrics, type SegmentProgressEvent } from './train/segment.js';
