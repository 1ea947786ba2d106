import { callSync } from '../native/call.js';
import { native } from '../native/loader.js';
import type { NativeStore } from '../native/binding.js';
import type { VolumeDecoding } from './volume.js';

/** Decoded images of one split, kept compact (uint8/uint16) and handed to native code once. */
export interface ImageSplit {
  /** N images, row-major [N, H, W] (grayscale), [N, H, W, C] (colour) or [N, D, H, W] (volumes). */
  images: Uint8Array | Uint16Array;
  shape: number[];
  /** Class index per image; a multi-label split holds 0 here and its truth in `targets`. */
  labels: Int32Array;
  /**
   * Multi-label datasets only: [N, L] row-major, 1 where image i has label l (the dataset's `classes` name the L
   * labels), 0 where not. Present on every split of a multi-label dataset, absent otherwise.
   */
  targets?: Uint8Array;
}

export interface ImageDataset {
  name: string;
  /** Class names in label order; the label (finding) names of a multi-label dataset. */
  classes: string[];
  /** 'gray' | 'rgb' images, or 'volume' for 3D. */
  kind: 'gray' | 'rgb' | 'volume';
  train: ImageSplit;
  val: ImageSplit;
  test: ImageSplit;
  /** Volumes decoded from files: how (a predictor decodes its inputs the same way). */
  volume?: VolumeDecoding;
}

/** A multi-label dataset (one sigmoid per label) rather than one class per image. */
export const isMultiLabel = (data: ImageDataset): boolean => data.train.targets !== undefined;

/** The split handed to native code once (copied into a native tensor); batches are gathered from it. */
export function toNativeStore(split: ImageSplit, kind: ImageDataset['kind']): NativeStore {
  const n = split.shape[0];
  // Float targets for the native BCE; the 0/1 bytes stay the compact record on this side.
  const targets = split.targets && { data: Float32Array.from(split.targets), shape: [n, n ? split.targets.length / n : 0] };
  return callSync(() => new (native().Store)(split.images, split.shape, split.labels, kind === 'rgb', undefined, targets));
}

/** Images per class of a split (index = class); for a multi-label split, images per label (its positives). */
export function classCounts(split: ImageSplit, numClasses: number): number[] {
  const counts = new Array(numClasses).fill(0);
  if (split.targets) {
    for (let i = 0; i < split.targets.length; i++) counts[i % numClasses] += split.targets[i];
    return counts;
  }
  for (const l of split.labels) counts[l]++;
  return counts;
}

/** Rows [a, b) of a multi-label split's targets (nothing for a single-label split), to slice them with its images. */
export function targetRows(split: ImageSplit, a: number, b: number): Pick<ImageSplit, 'targets'> {
  if (!split.targets) return {};
  const labels = split.targets.length / split.shape[0];
  return { targets: split.targets.subarray(a * labels, b * labels) };
}
