// The epoch loop shared by every task: train one epoch, evaluate on validation, keep the best weights
// in memory, stop on patience, restore the best.
import { TtlError } from '../errors.js';
import type { Model } from '../model.js';
import type { NativeStore } from '../native/binding.js';
import { epochOptions, type TrainingPlan } from './setup.js';

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

export interface LoopEvents<M> {
  onBatch?: (epoch: number, b: { batch: number; batches: number; loss: number }) => void;
  onEpoch?: (e: EpochOutcome<M>) => void;
  /** Checked before every epoch and after validation; the native flag (set by the caller's abort listener) covers each batch. */
  signal?: AbortSignal;
}

/** Throws E_CANCELLED when the signal was aborted. */
export function checkAborted(signal: AbortSignal | undefined, what = 'training'): void {
  if (signal?.aborted) throw new TtlError('E_CANCELLED', `${what} was cancelled`);
}

export async function epochLoop<M>(
  model: Model, train: NativeStore, s: TrainingPlan,
  evaluate: (epoch: number) => Promise<Evaluation<M>>,
  events: LoopEvents<M> = {},
): Promise<LoopResult<M>> {
  // A progress callback runs from a native thread-safe call, where a throw cannot reach the caller: it is
  // kept, the epoch is cancelled at the next batch, and the call rejects with it.
  let callbackError: { error: unknown } | undefined;
  const onBatch = (epoch: number, b: { batch: number; batches: number; loss: number }) => {
    if (callbackError || !events.onBatch) return;
    try {
      events.onBatch(epoch, b);
    } catch (error) {
      callbackError = { error };
      model.cancel(true);
    }
  };
  const rethrown = <T>(promise: Promise<T>) => promise.catch((e) => {
    throw callbackError ? callbackError.error : e;
  });
  const epochs: EpochOutcome<M>[] = [];
  let best = { score: -Infinity, epoch: 0, metrics: undefined as M | undefined };
  let trainSeconds = 0;
  let trained = 0;
  let stoppedEarly = false;
  for (let epoch = 1; epoch <= s.epochs; epoch++) {
    checkAborted(events.signal);
    const start = performance.now();
    const stats = await rethrown(model.trainEpoch(train, { ...s.pipeline, augment: s.augment }, epochOptions(s, epoch), (b) =>
      onBatch(epoch, b),
    ));
    // Progress events are delivered asynchronously: the last batch's may land after the epoch settled.
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (callbackError) throw callbackError.error;
    const seconds = (performance.now() - start) / 1000;
    trainSeconds += seconds;
    trained += stats.samples;
    const val = await evaluate(epoch);
    checkAborted(events.signal);
    if (!Number.isFinite(val.loss)) throw new TtlError('E_DIVERGED', `training diverged: the validation loss is ${val.loss} after epoch ${epoch}`);
    const improved = val.score > best.score;
    if (improved) {
      best = { score: val.score, epoch, metrics: val.metrics };
      await model.snapshot();
    }
    const outcome = { epoch, trainLoss: stats.loss, val, lr: stats.lr, seconds, best: improved };
    epochs.push(outcome);
    events.onEpoch?.(outcome);
    if (epoch - best.epoch >= s.patience) {
      stoppedEarly = epoch < s.epochs;
      break;
    }
  }
  await model.restore();
  return { bestEpoch: best.epoch, best: best.metrics!, epochs, trainSeconds, samplesPerSecond: trained / trainSeconds, stoppedEarly };
}
