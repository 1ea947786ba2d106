// Per-unit linear probes: a logistic-regression classifier on the pooled features of every unit, fitted on
// the training split, scored on validation and test (the paper's observation: a peak around block 3).
import type { ImageDataset } from '../data/dataset.js';
import { classificationMetrics } from '../metrics/classification.js';
import { call } from '../native/call.js';
import type { Model } from '../model.js';
import { native } from '../native/loader.js';
import type { NativePipelineOptions, NativeStore } from '../native/binding.js';
import { toNativeStore } from '../data/dataset.js';
import { checkAborted } from '../train/loop.js';

export interface ProbeScore {
  k: number;
  unit: string;
  valAuroc: number;
  testAuroc: number;
  channels: number;
}

export interface ProbeOptions {
  units?: number[];
  l2?: number;
  iterations?: number;
  batchSize?: number;
  /** Checked between native calls (feature extraction of a split, one probe fit): E_CANCELLED. */
  signal?: AbortSignal;
}

/** Probe AUROC per unit of `model` (frozen), on `data`. Units default to every kept unit. */
export async function probeUnits(model: Model, data: ImageDataset, pipeline: NativePipelineOptions, options: ProbeOptions = {}): Promise<ProbeScore[]> {
  const units = options.units ?? model.units.map((u) => u.k);
  const stores = { train: toNativeStore(data.train, data.kind), val: toNativeStore(data.val, data.kind), test: toNativeStore(data.test, data.kind) };
  const numClasses = data.classes.length;
  const scores: ProbeScore[] = [];
  // A few units at a time bounds the memory held by features of large maps.
  for (let i = 0; i < units.length; i += 4) {
    const chunk = units.slice(i, i + 4);
    const extract = (store: NativeStore) => {
      checkAborted(options.signal, 'probing');
      return model.features(store, pipeline, chunk, { batchSize: options.batchSize ?? 128 });
    };
    const [train, val, test] = [await extract(stores.train), await extract(stores.val), await extract(stores.test)];
    for (const k of chunk) {
      // One fit per unit, applied to validation and test stacked together.
      const [v, t] = [val.get(k)!, test.get(k)!];
      const both = { data: new Float32Array(v.data.length + t.data.length), shape: [v.shape[0] + t.shape[0], v.shape[1]] };
      both.data.set(v.data);
      both.data.set(t.data, v.data.length);
      checkAborted(options.signal, 'probing');
      const fit = await call(() => native().fitProbe(train.get(k)!, data.train.labels, both, numClasses, options.l2 ?? 1e-3, options.iterations ?? 100));
      const split = v.shape[0] * numClasses;
      scores.push({
        k, unit: model.card.units[k - 1], channels: train.get(k)!.shape[1],
        valAuroc: classificationMetrics(data.val.labels, fit.applyProbs.data.subarray(0, split), numClasses).auroc,
        testAuroc: classificationMetrics(data.test.labels, fit.applyProbs.data.subarray(split), numClasses).auroc,
      });
    }
  }
  return scores;
}
