import { TtlError } from '../errors.js';
import { atThreshold, auprcTrapezoid, auroc, averagePrecision, youdenThreshold, type ThresholdMetrics } from './binary.js';

export interface ClassificationMetrics {
  /** Binary: AUROC of the positive class; multi-class: one-vs-rest macro AUROC. */
  auroc: number;
  /** Binary: average precision; multi-class: macro average of one-vs-rest. */
  averagePrecision: number;
  /** Trapezoidal AUPRC (the paper's), macro one-vs-rest for multi-class. */
  auprc: number;
  accuracy: number;
  balancedAccuracy: number;
  /** Binary only: at 0.5 and at Youden's J threshold. */
  atHalf?: ThresholdMetrics;
  atYouden?: ThresholdMetrics;
}

/**
 * Metrics from class probabilities `probs` ([N, C] row-major) and integer labels.
 * The positive class of a binary task is class 1.
 */
export function classificationMetrics(labels: ArrayLike<number>, probs: ArrayLike<number>, numClasses: number): ClassificationMetrics {
  const n = labels.length;
  if (probs.length !== n * numClasses)
    throw new TtlError('E_BAD_INPUT', `expected ${n}x${numClasses} probabilities, got ${probs.length} values`);
  const column = (c: number) => Float64Array.from({ length: n }, (_, i) => probs[i * numClasses + c]);
  const oneVsRest = (c: number) => Uint8Array.from({ length: n }, (_, i) => (labels[i] === c ? 1 : 0));
  const predicted = Array.from({ length: n }, (_, i) => {
    let best = 0;
    for (let c = 1; c < numClasses; c++) if (probs[i * numClasses + c] > probs[i * numClasses + best]) best = c;
    return best;
  });
  const recalls: number[] = [];
  for (let c = 0; c < numClasses; c++) {
    let total = 0;
    let hit = 0;
    for (let i = 0; i < n; i++) if (labels[i] === c) (total++, predicted[i] === c && hit++);
    if (total) recalls.push(hit / total);
  }
  const accuracy = predicted.filter((p, i) => p === labels[i]).length / n;
  const balancedAccuracy = recalls.reduce((a, b) => a + b, 0) / recalls.length;
  if (numClasses === 2) {
    const labels01 = oneVsRest(1);
    const scores = column(1);
    return {
      auroc: auroc(labels01, scores),
      averagePrecision: averagePrecision(labels01, scores),
      auprc: auprcTrapezoid(labels01, scores),
      accuracy,
      balancedAccuracy,
      atHalf: atThreshold(labels01, scores, 0.5),
      atYouden: atThreshold(labels01, scores, youdenThreshold(labels01, scores)),
    };
  }
  const macro = (metric: (l: Uint8Array, s: Float64Array) => number) =>
    Array.from({ length: numClasses }, (_, c) => metric(oneVsRest(c), column(c))).reduce((a, b) => a + b, 0) / numClasses;
  return { auroc: macro(auroc), averagePrecision: macro(averagePrecision), auprc: macro(auprcTrapezoid), accuracy, balancedAccuracy };
}
