// ttl-torch/metrics: classification metrics, AUROC confidence intervals and paired tests (DeLong, bootstrap).
export { auroc, averagePrecision, auprcTrapezoid, atThreshold, youdenThreshold, type ThresholdMetrics } from './binary.js';
export { classificationMetrics, type ClassificationMetrics } from './classification.js';
export { multiLabelMetrics, type LabelMetrics, type MultiLabelMetrics } from './multilabel.js';
export { meanStd, median } from './stats.js';
export { delongInterval, delongTest, normalCdf, type AurocInterval, type PairedTest } from './delong.js';
export { aurocInterval, bootstrapSe, compareAuroc, compareMultiLabel, multiLabelInterval, type AurocConfidence, type Comparison } from './uncertainty.js';
