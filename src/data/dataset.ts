import { callSync } from '../native/call.js';
import { native } from '../native/loader.js';
import type { NativeStore } from '../native/binding.js';
import type { VolumeDecoding } from './volume.js';

/** Decoded images of one split, kept compact (uint8/uint16) and handed to native code once. */
export interface ImageSplit {
  /** N images, row-major [N, H, W] (grayscale), [N, H, W, C] (colour) or [N, D, H, W] (volumes). */
  images: Uint8Array | Uint16Array;
  shape: number[];
  labels: Int32Array;
}

export interface ImageDataset {
  name: string;
  classes: string[];
  /** 'gray' | 'rgb' images, or 'volume' for 3D. */
  kind: 'gray' | 'rgb' | 'volume';
  train: ImageSplit;
  val: ImageSplit;
  test: ImageSplit;
  /** Volumes decoded from files: how (a predictor decodes its inputs the same way). */
  volume?: VolumeDecoding;
}

/** The split handed to native code once (copied into a native tensor); batches are gathered from it. */
export function toNativeStore(split: ImageSplit, kind: ImageDataset['kind']): NativeStore {
  return callSync(() => new (native().Store)(split.images, split.shape, split.labels, kind === 'rgb'));
}

/** Images per class of a split (index = class). */
export function classCounts(split: ImageSplit, numClasses: number): number[] {
  const counts = new Array(numClasses).fill(0);
  for (const l of split.labels) counts[l]++;
  return counts;
}
