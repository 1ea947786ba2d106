// The epoch loop shared by every task: train one epoch, evaluate on validation, keep the best weights
// in memory, stop on patience, restore the best.
import { TtlError } from '../errors.js';
import { call } from '../model.js';
import type { NativeModel, NativeStore } from '../native.js';
import type { TrainingSettings } from './setup.js';

export interface Evaluation<M> {
  metrics: M;
  loss: number;
  /** Higher is better; selects the epoch whose weights are kept. */
  score: number;
}

export interface EpochOutcome<M> {
  epoch: number;
  trainLoss: number;
  val: Evaluation<M>;
  lr: number;
  seconds: number;
  best: boolean;
}

export interface LoopResult<M> {
  bestEpoch: number;
  best: M;
  epochs: EpochOutcome<M>[];
  trainSeconds: number;
  samplesPerSecond: number;
  stoppedEarly: boolean;
}

export async function epochLoop<M>(
  net: NativeModel, train: NativeStore, s: TrainingSettings,
  evaluate: (epoch: number) => Promise<Evaluation<M>>,
  events: { onBatch?: (epoch: number, b: { batch: number; batches: number; loss: number }) => void; onEpoch?: (e: EpochOutcome<M>) => void } = {},
): Promise<LoopResult<M>> {
  const epochs: EpochOutcome<M>[] = [];
  let best = { score: -Infinity, epoch: 0, metrics: undefined as M | undefined };
  let trainSeconds = 0;
  let trained = 0;
  let stoppedEarly = false;
  for (let epoch = 1; epoch <= s.epochs; epoch++) {
    const start = performance.now();
    const stats = await call(() => net.trainEpoch(train, { ...s.pipeline, augment: s.augment }, { batchSize: s.batchSize, seed: s.seed, epoch }, (b) =>
      events.onBatch?.(epoch, b),
    ));
    const seconds = (performance.now() - start) / 1000;
    trainSeconds += seconds;
    trained += stats.samples;
    const val = await evaluate(epoch);
    if (!Number.isFinite(val.loss)) throw new TtlError('E_DIVERGED', `training diverged: the validation loss is ${val.loss} after epoch ${epoch}`);
    const improved = val.score > best.score;
    if (improved) {
      best = { score: val.score, epoch, metrics: val.metrics };
      await call(() => net.snapshot());
    }
    const outcome = { epoch, trainLoss: stats.loss, val, lr: stats.lr, seconds, best: improved };
    epochs.push(outcome);
    events.onEpoch?.(outcome);
    if (epoch - best.epoch >= s.patience) {
      stoppedEarly = epoch < s.epochs;
      break;
    }
  }
  await call(() => net.restore());
  return { bestEpoch: best.epoch, best: best.metrics!, epochs, trainSeconds, samplesPerSecond: trained / trainSeconds, stoppedEarly };
}
