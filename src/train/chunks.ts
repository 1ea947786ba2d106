// Evaluation passes as a series of native calls, one per chunk of images: each is its own compute-thread
// task, so a predict queued by another model during validation waits for one chunk, not the whole split.
import type { ImageDataset, ImageSplit } from '../data/dataset.js';
import { sliceSplit, toNativeStore } from '../data/dataset.js';
import { toNativeSegmentationStore, type SegmentationDataset, type SegmentationSplit } from '../data/segmentation.js';
import type { NativeStore } from '../native/binding.js';

function ranges(n: number, size: number): [number, number][] {
  const out: [number, number][] = [];
  for (let start = 0; start < n; start += size) out.push([start, Math.min(n, start + size)]);
  return out;
}

/** Native stores of at most `size` images each, in order (`size` = the evaluation batch keeps batches as before). */
export function imageChunks(split: ImageSplit, kind: ImageDataset['kind'], size: number): NativeStore[] {
  return ranges(split.shape[0], size).map(([a, b]) => toNativeStore(sliceSplit(split, a, b), kind));
}

export function segmentationChunks(split: SegmentationSplit, kind: SegmentationDataset['kind'], size: number): NativeStore[] {
  const per = split.shape.slice(1).reduce((a, b) => a * b, 1);
  const perMask = kind === 'rgb' ? per / split.shape.at(-1)! : per;
  return ranges(split.shape[0], size).map(([a, b]) => toNativeSegmentationStore({
    images: split.images.subarray(a * per, b * per), shape: [b - a, ...split.shape.slice(1)], masks: split.masks.subarray(a * perMask, b * perMask),
  }, kind));
}

/** Row-major concatenation of per-chunk results along the first dimension. */
export function concatRows<T extends Float32Array | Float64Array>(parts: { data: T; shape: number[] }[]): { data: T; shape: number[] } {
  const total = parts.reduce((n, p) => n + p.data.length, 0);
  const data = new (parts[0].data.constructor as new (n: number) => T)(total);
  let offset = 0;
  for (const p of parts) {
    data.set(p.data, offset);
    offset += p.data.length;
  }
  return { data, shape: [parts.reduce((n, p) => n + p.shape[0], 0), ...parts[0].shape.slice(1)] };
}
