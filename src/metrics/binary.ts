import { TtlError } from '../errors.js';
import { binaryCurve, trapezoid } from './curves.js';

function counts(labels: ArrayLike<number>) {
  let positives = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] !== 0 && labels[i] !== 1) throw new TtlError('E_BAD_INPUT', `binary labels must be 0 or 1, got ${labels[i]} at ${i}`);
    positives += labels[i];
  }
  return { positives, negatives: labels.length - positives };
}

function checkBothClasses(labels: ArrayLike<number>, scores: ArrayLike<number>, metric: string) {
  if (labels.length !== scores.length) throw new TtlError('E_BAD_INPUT', `${metric}: ${labels.length} labels but ${scores.length} scores`);
  const c = counts(labels);
  if (c.positives === 0 || c.negatives === 0)
    throw new TtlError('E_BAD_INPUT', `${metric} is undefined when only one class is present (${c.positives} positives, ${c.negatives} negatives)`);
  return c;
}

/** Area under the ROC curve (scikit-learn roc_auc_score). */
export function auroc(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  const { positives, negatives } = checkBothClasses(labels, scores, 'AUROC');
  const { tps, fps } = binaryCurve(labels, scores);
  return trapezoid([0, ...fps.map((f) => f / negatives)], [0, ...tps.map((t) => t / positives)]);
}

/** Precision and recall per threshold up to full recall, as precision_recall_curve (recall ascending here). */
function precisionRecall(labels: ArrayLike<number>, scores: ArrayLike<number>) {
  const { positives } = checkBothClasses(labels, scores, 'AUPRC');
  const { tps, fps } = binaryCurve(labels, scores);
  const full = tps.indexOf(positives);
  const precision = tps.slice(0, full + 1).map((t, i) => t / (t + fps[i]));
  const recall = tps.slice(0, full + 1).map((t) => t / positives);
  return { precision, recall };
}

/** Average precision (scikit-learn average_precision_score): sum of (R_n - R_{n-1}) P_n. */
export function averagePrecision(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  const { precision, recall } = precisionRecall(labels, scores);
  let ap = 0;
  for (let i = 0; i < recall.length; i++) ap += (recall[i] - (i ? recall[i - 1] : 0)) * precision[i];
  return ap;
}

/** Trapezoidal area under the precision-recall curve, auc(recall, precision), as the paper's code computes AUPRC. */
export function auprcTrapezoid(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  const { precision, recall } = precisionRecall(labels, scores);
  return trapezoid([0, ...recall], [1, ...precision]);
}

export interface ThresholdMetrics {
  threshold: number;
  sensitivity: number;
  specificity: number;
  accuracy: number;
  balancedAccuracy: number;
}

/** Sensitivity, specificity and accuracies when score >= threshold predicts the positive class. */
export function atThreshold(labels: ArrayLike<number>, scores: ArrayLike<number>, threshold: number): ThresholdMetrics {
  const { positives, negatives } = counts(labels);
  let tp = 0;
  let tn = 0;
  for (let i = 0; i < labels.length; i++) {
    const predicted = scores[i] >= threshold ? 1 : 0;
    if (predicted === 1 && labels[i] === 1) tp++;
    if (predicted === 0 && labels[i] === 0) tn++;
  }
  const sensitivity = positives ? tp / positives : NaN;
  const specificity = negatives ? tn / negatives : NaN;
  return { threshold, sensitivity, specificity, accuracy: (tp + tn) / labels.length, balancedAccuracy: (sensitivity + specificity) / 2 };
}

/** The ROC threshold maximising Youden's J = sensitivity + specificity - 1. */
export function youdenThreshold(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  const { positives, negatives } = checkBothClasses(labels, scores, "Youden's J");
  const { thresholds, tps, fps } = binaryCurve(labels, scores);
  let best = 0;
  for (let i = 1; i < thresholds.length; i++)
    if (tps[i] / positives - fps[i] / negatives > tps[best] / positives - fps[best] / negatives) best = i;
  return thresholds[best];
}
