// The learning-rate range test (Smith 2017; popularised by fastai's lr_find): train a fresh copy of the
// trial's network for a short geometric sweep of learning rates and pick a tenth of the rate where the
// smoothed loss is lowest. Each strategy and cutoff gets its own: a truncated network wants a different rate.
import { TtlError } from '../errors.js';
import { isMultiLabel, toNativeStore, type ImageDataset } from '../data/dataset.js';
import { integerIn, numberIn } from '../validate.js';
import { batchesPerEpoch, epochOptions, planTraining, trainingOptim, withTrainingModel, type TrainingOptions } from './setup.js';

export interface LrRangeOptions extends TrainingOptions {
  data: ImageDataset;
  /** Sweep bounds (default 1e-5 .. 1) and length in steps (default 100). */
  minLr?: number;
  maxLr?: number;
  steps?: number;
}

export interface LrRange {
  lrs: number[];
  /** Training loss per step, and its bias-corrected exponential moving average. */
  losses: number[];
  smoothed: number[];
  /** A tenth of the rate at the smoothed loss's minimum. */
  suggested: number;
}

// The loss curve of a sweep is noisy per batch; this smoothing is fastai's.
const BETA = 0.98;
// A sweep past the divergence point teaches nothing more.
const DIVERGED = 4;

/**
 * The suggested rate of a sweep: a tenth of the rate at the smoothed loss's minimum (Smith's and fastai's
 * classic rule). Measured on BreastMNIST, the steepest-descent point instead tracked the new head's initial
 * loss transient (1e-4 and below: underfitting, test AUROC 0.64 for ResNet-50 v2 FTL).
 */
export function suggestLr(lrs: number[], smoothed: number[]): number {
  return lrs[smoothed.indexOf(Math.min(...smoothed))] / 10;
}

/**
 * The LR range test (Smith 2017): one sweep from minLr to maxLr over `steps` batches, returning the smoothed
 * losses and a suggested learning rate; leaves no checkpoint and disposes its model.
 */
export async function lrRangeTest(options: LrRangeOptions): Promise<LrRange> {
  const minLr = numberIn('minLr', options.minLr ?? 1e-5, 1e-9, 1);
  const maxLr = numberIn('maxLr', options.maxLr ?? 1, minLr * 10, 100);
  const steps = integerIn('steps', options.steps ?? 100, 10, 10000);
  // The sweep leaves no trace: no checkpoint, and the model is disposed afterwards.
  const s = { ...planTraining({ ...options, epochs: 1 }), checkpoint: undefined, keepModel: false };
  const { data } = options;
  const perEpoch = batchesPerEpoch(data.train.labels.length, s.batchSize, s.lastBatch, s.group?.worldSize);
  const epochs = Math.ceil(steps / perEpoch);
  const lrs: number[] = [];
  const losses: number[] = [];
  const smoothed: number[] = [];
  return withTrainingModel(s, { head: 'linear', numClasses: data.classes.length, multiLabel: isMultiLabel(data) }, async (model) => {
    const train = toNativeStore(data.train, data.kind);
    const total = epochs * perEpoch;
    const rate = (step: number) => minLr * (maxLr / minLr) ** (step / (steps - 1));
    // The native sweep spans whole epochs (total >= steps steps); it reaches maxLr at step `steps - 1`.
    const optim = trainingOptim({ ...s, epochs }, data.train.labels.length, []);
    await model.configureTraining({ ...optim, schedule: 'exponential', lr: minLr, lrEnd: rate(total - 1), epochs, stepsPerEpoch: perEpoch });
    let average = 0;
    let stop = false;
    for (let epoch = 1; epoch <= epochs && !stop; epoch++) {
      try {
        await model.trainEpoch(train, { ...s.pipeline, augment: s.augment }, epochOptions(s, epoch), (b) => {
          if (stop || lrs.length >= steps) return;
          const step = lrs.length;
          average = BETA * average + (1 - BETA) * b.loss;
          lrs.push(rate(step));
          losses.push(b.loss);
          smoothed.push(average / (1 - BETA ** (step + 1)));
          if (lrs.length >= steps || !Number.isFinite(b.loss) || smoothed.at(-1)! > DIVERGED * Math.min(...smoothed)) {
            stop = true;
            model.cancel();
          }
        });
      } catch (e) {
        // Cancelled by the divergence check above, or diverged to NaN natively: either ends the sweep.
        const ended = e instanceof TtlError && (e.code === 'E_CANCELLED' || e.code === 'E_DIVERGED');
        if (!ended || options.signal?.aborted) throw e;
        stop = true;
      }
    }
    if (lrs.length < 3) throw new TtlError('E_DIVERGED', `the learning-rate range test diverged within ${lrs.length} steps from ${minLr}`);
    return { lrs, losses, smoothed, suggested: suggestLr(lrs, smoothed) };
  });
}
