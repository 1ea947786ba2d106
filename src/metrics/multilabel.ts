// Multi-label metrics: one binary problem per label (its sigmoid against its 0/1 truth), averaged the two ways
// scikit-learn does. Macro: the mean of the per-label values, every finding counting alike (what model selection and
// the TTL-vs-FTL search read). Micro: every (image, label) pair pooled into one binary problem, dominated by
// the frequent findings.
import { TtlError } from '../errors.js';
import { auroc, averagePrecision } from './binary.js';
import { delongInterval } from './delong.js';

export interface LabelMetrics {
  label: string;
  /** Images with the label, and their fraction of the split. */
  positives: number;
  prevalence: number;
  auroc: number;
  /** Average precision (scikit-learn average_precision_score). */
  auprc: number;
  /** DeLong 95% confidence interval of the AUROC and its standard error. */
  aurocCi: { low: number; high: number; se: number };
}

export interface MultiLabelMetrics {
  /** Macro AUROC: the mean over labels (roc_auc_score average='macro'). */
  auroc: number;
  /** Macro AUPRC as average precision (average_precision_score average='macro'). */
  auprc: number;
  /** Micro AUROC and AUPRC: all (image, label) pairs pooled (average='micro'). */
  microAuroc: number;
  microAuprc: number;
  perLabel: LabelMetrics[];
}

/**
 * Metrics from per-label probabilities `probs` and 0/1 `targets` (both [N, L] row-major), labels named by `labels`.
 * A label whose split has no positive or no negative image has no AUROC: E_BAD_INPUT naming it (as scikit-learn).
 */
export function multiLabelMetrics(targets: ArrayLike<number>, probs: ArrayLike<number>, labels: string[]): MultiLabelMetrics {
  const L = labels.length;
  if (!L || targets.length !== probs.length || targets.length % L)
    throw new TtlError('E_BAD_INPUT', `expected [N, ${L}] targets and probabilities, got ${targets.length} and ${probs.length} values`);
  const n = targets.length / L;
  const column = <T extends Float64Array | Uint8Array>(source: ArrayLike<number>, l: number, Type: new (n: number) => T) => {
    const out = new Type(n);
    for (let i = 0; i < n; i++) out[i] = source[i * L + l];
    return out;
  };
  const perLabel = labels.map((label, l): LabelMetrics => {
    const truth = column(targets, l, Uint8Array);
    const scores = column(probs, l, Float64Array);
    const positives = truth.reduce((a, b) => a + b, 0);
    try {
      const value = auroc(truth, scores);  // first: its refusal of a one-class label is the clearest
      const ci = delongInterval(truth, scores);
      return { label, positives, prevalence: positives / n, auroc: value, auprc: averagePrecision(truth, scores), aurocCi: { low: ci.low, high: ci.high, se: ci.se } };
    } catch (e) {
      if (e instanceof TtlError) throw new TtlError(e.code, `label '${label}': ${e.message}`, { cause: e });
      throw e;
    }
  });
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  const pooledTruth = Uint8Array.from(targets as ArrayLike<number>);
  const pooledScores = Float64Array.from(probs as ArrayLike<number>);
  return {
    auroc: mean(perLabel.map((m) => m.auroc)), auprc: mean(perLabel.map((m) => m.auprc)),
    microAuroc: auroc(pooledTruth, pooledScores), microAuprc: averagePrecision(pooledTruth, pooledScores), perLabel,
  };
}
