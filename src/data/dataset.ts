import { closeSync, openSync, readSync } from 'node:fs';
import { callSync } from '../native/call.js';
import { native } from '../native/loader.js';
import type { NativeStore } from '../native/binding.js';
import { TtlError } from '../errors.js';
import type { VolumeDecoding } from './volume.js';
import type { DicomDecoding } from './decode.js';

/**
 * A split's images in a decoded-image cache file (data/image-cache.ts), laid out as an in-memory split's array:
 * native code maps them instead of copying, JS reads the rows it needs (imageRows).
 */
export interface MappedImages {
  readonly file: string;
  /** Byte offset of the first image in the file. */
  readonly offset: number;
  readonly bits: 8 | 16;
}

/** Decoded images of one split, kept compact (uint8/uint16) and handed to native code once. */
export interface ImageSplit {
  /**
   * N images, row-major [N, H, W] (grayscale), [N, H, W, C] (colour) or [N, D, H, W] (volumes): in memory, or
   * (loaded through the image cache) where they lie in its file.
   */
  images: Uint8Array | Uint16Array | MappedImages;
  shape: number[];
  /** Class index per image; a multi-label split holds 0 here and its truth in `targets`. */
  labels: Int32Array;
  /**
   * Multi-label datasets only: [N, L] row-major, 1 where image i has label l (the dataset's `classes` name the L
   * labels), 0 where not. Present on every split of a multi-label dataset, absent otherwise.
   */
  targets?: Uint8Array;
}

/** A split decoded into memory: what readMedMNIST gives, and loadDataset without the cache. */
export type MemorySplit = ImageSplit & { images: Uint8Array | Uint16Array };

export interface ImageDataset<Split extends ImageSplit = ImageSplit> {
  name: string;
  /** Class names in label order; the label (finding) names of a multi-label dataset. */
  classes: string[];
  /** 'gray' | 'rgb' images, or 'volume' for 3D. */
  kind: 'gray' | 'rgb' | 'volume';
  train: Split;
  val: Split;
  test: Split;
  /** Volumes decoded from files: how (a predictor decodes its inputs the same way). */
  volume?: VolumeDecoding;
  /** DICOM images decoded with a window or frame policy given: which (a predictor decodes its inputs the same way). */
  dicom?: DicomDecoding;
}

/** A multi-label dataset (one sigmoid per label) rather than one class per image. */
export const isMultiLabel = (data: ImageDataset): boolean => data.train.targets !== undefined;

/** Bits per sample of a split's images. */
export function sampleBits(split: Pick<ImageSplit, 'images'>): 8 | 16 {
  return ArrayBuffer.isView(split.images) ? (split.images instanceof Uint16Array ? 16 : 8) : split.images.bits;
}

const perImage = (split: ImageSplit) => split.shape.slice(1).reduce((a, b) => a * b, 1);

function checkRows(split: ImageSplit, a: number, b: number): void {
  if (!Number.isInteger(a) || !Number.isInteger(b) || a < 0 || b < a || b > split.shape[0])
    throw new TtlError('E_BAD_ARGUMENT', `rows [${a}, ${b}) are not within the split's ${split.shape[0]} images`);
}

/** Images [a, b) of a split as one array: a view of an in-memory split, a copy read from a cache file. */
export function imageRows(split: ImageSplit, a: number, b: number): Uint8Array | Uint16Array {
  checkRows(split, a, b);
  const per = perImage(split);
  if (ArrayBuffer.isView(split.images)) return split.images.subarray(a * per, b * per);
  const { file, offset, bits } = split.images;
  const rows = bits === 16 ? new Uint16Array((b - a) * per) : new Uint8Array((b - a) * per);
  const bytes = new Uint8Array(rows.buffer);
  const fd = openSync(file, 'r');
  try {
    for (let done = 0; done < bytes.length;) {
      const read = readSync(fd, bytes, done, bytes.length - done, offset + a * per * (bits / 8) + done);
      if (!read) throw new TtlError('E_BAD_CACHE', `${file}: ends before image ${b - 1} (torn)`);
      done += read;
    }
  } finally {
    closeSync(fd);
  }
  return rows;
}

/** Images [a, b) of a split with their labels (and targets), sharing the split's memory or cache file. */
export function sliceSplit(split: ImageSplit, a: number, b: number): ImageSplit {
  checkRows(split, a, b);
  const per = perImage(split);
  const images = ArrayBuffer.isView(split.images) ? split.images.subarray(a * per, b * per)
    : { ...split.images, offset: split.images.offset + a * per * (split.images.bits / 8) };
  return { images, shape: [b - a, ...split.shape.slice(1)], labels: split.labels.subarray(a, b), ...targetRows(split, a, b) };
}

/**
 * The split handed to native code once (copied into a native tensor, or mapped from its cache file); batches
 * are gathered from it.
 */
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
function targetRows(split: ImageSplit, a: number, b: number): Pick<ImageSplit, 'targets'> {
  if (!split.targets) return {};
  const labels = split.targets.length / split.shape[0];
  return { targets: split.targets.subarray(a * labels, b * labels) };
}
