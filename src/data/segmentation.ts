// Segmentation datasets: images or volumes with a class index per pixel/voxel (0 = background), from
// a CSV manifest (file,mask[,split][,patient]) of PNG/JPEG/DICOM + PNG masks or NIfTI/DICOM-series
// volumes + NIfTI label maps, or straight from volume/label-map pairs (whole volumes or 2D slices).
import { basename, extname } from 'node:path';
import sharp from 'sharp';
import { TtlError, invalidParameterError } from '../errors.js';
import { callSync } from '../native/call.js';
import { integerIn, isObject, oneOf, shapeOf } from '../validate.js';
import { native } from '../native/loader.js';
import type { NativeStore } from '../native/binding.js';
import { manifestRows } from './manifest.js';
import { channelsOf, decodeImage, isHighDepth } from './decode.js';
import { stratifiedSplit, type SplitFractions, type SplitName } from './split.js';
import { conformVolume, isVolumePath, readVolume, resampleVolume, windowed, type Intensity, type Volume } from './volume.js';

export interface SegmentationSplit {
  /** [N, H, W] gray, [N, H, W, 3] colour or [N, D, H, W] volumes. */
  images: Uint8Array | Uint16Array;
  shape: number[];
  /** Class index per pixel/voxel, [N, H, W] or [N, D, H, W]. */
  masks: Uint8Array;
}

export interface SegmentationDataset {
  name: string;
  /** Class names; index 0 is the background. */
  classes: string[];
  kind: 'gray' | 'rgb' | 'volume';
  train: SegmentationSplit;
  val: SegmentationSplit;
  test: SegmentationSplit;
}

/** Foreground classes by the label values that make them, e.g. { liver: [5] } or { kidney: [2, 3] }. */
export type LabelClasses = Record<string, number[]>;

export interface SegmentationLoadOptions {
  /** Foreground classes by label value. Default: binary masks (any non-zero value is 'foreground'). */
  classes?: LabelClasses;
  /** 2D images: decoded size (square). */
  size?: number;
  /** Volumes: intensity window (default 'minmax' per volume). */
  intensity?: Intensity;
  /** Volumes: bring each to this [x, y, z] shape (default: the first volume's). */
  shape?: [number, number, number];
  /** Volumes: resample to this voxel spacing (mm), then centre crop / pad to `shape`. */
  spacing?: [number, number, number];
  /** 'volumes' keeps each volume whole (3D networks); 'slices' cuts axial slices (2D networks). */
  mode?: 'volumes' | 'slices';
  /** Slices: keep only slices with at least this many foreground pixels (default 1; 0 keeps all). */
  minForeground?: number;
  /**
   * Slices: 'volume' (default) keeps all slices of a volume (and of a patient) in one split, so neighbouring
   * slices never leak between train and test; 'slice' splits slices independently (e.g. a single volume).
   */
  splitBy?: 'volume' | 'slice';
  fractions?: SplitFractions;
  seed?: number;
  columns?: { file?: string; mask?: string; split?: string; patient?: string };
  /** Accept manifest paths outside the CSV's folder (refused by default). */
  allowOutsidePaths?: boolean;
}

export interface SegmentationPair {
  image: string;
  mask: string;
  split?: SplitName;
  patient?: string;
  origin: string;
}


/** The split handed to native code once; masks travel with the images through every resample. */
export function toNativeSegmentationStore(split: SegmentationSplit, kind: SegmentationDataset['kind']): NativeStore {
  const maskShape = kind === 'rgb' ? split.shape.slice(0, -1) : split.shape;
  return callSync(() => new (native().Store)(split.images, split.shape, new Int32Array(split.shape[0]), kind === 'rgb', { data: split.masks, shape: maskShape }));
}

/** Label values -> class indices (value in classes[i] -> i + 1, anything else -> 0). */
function classLookup(classes: LabelClasses | undefined): { names: string[]; map: (value: number) => number } {
  if (!classes) return { names: ['background', 'foreground'], map: (v) => (v > 0 ? 1 : 0) };
  const entries = Object.entries(classes);
  if (!entries.length || entries.some(([, values]) => !Array.isArray(values) || !values.length || !values.every(Number.isInteger)))
    throw new TtlError('E_BAD_ARGUMENT', `classes must map each class name to a list of integer label values, e.g. { "liver": [5] }; got ${JSON.stringify(classes)}`);
  const index = new Map<number, number>();
  entries.forEach(([, values], i) => values.forEach((v) => index.set(v, i + 1)));
  return { names: ['background', ...entries.map(([name]) => name)], map: (v) => index.get(Math.round(v)) ?? 0 };
}

/** Rows of a segmentation manifest; paths are relative to the CSV's folder. */
export function segmentationPairs(path: string, columns: SegmentationLoadOptions['columns'] = {}, allowOutsidePaths = false): SegmentationPair[] {
  const file = columns.file ?? 'file', mask = columns.mask ?? 'mask';
  return manifestRows(path, [file, mask], columns, allowOutsidePaths).map((r) => ({ image: r.path(file), mask: r.path(mask), split: r.split, patient: r.patient, origin: r.origin }));
}

interface Item {
  image: Uint8Array | Uint16Array;
  mask: Uint8Array;
  pair: SegmentationPair;
}

function loadVolumePair(pair: SegmentationPair, options: SegmentationLoadOptions, target?: [number, number, number]) {
  const image = readVolume(pair.image);
  const labels = readVolume(pair.mask);
  if (image.shape.join() !== labels.shape.join())
    throw new TtlError('E_BAD_INPUT', `${pair.origin}: the label map's shape [${labels.shape.join(', ')}] differs from the volume's [${image.shape.join(', ')}]`);
  const conform = { shape: target ?? image.shape, spacing: options.spacing };
  return { image: conformVolume(image, conform, 'linear'), labels: conformVolume(labels, conform, 'nearest') };
}

function volumeItems(pair: SegmentationPair, image: Volume, labels: Volume, options: SegmentationLoadOptions, map: (v: number) => number): Item[] {
  const intensities = windowed(image.values, options.intensity ?? 'minmax', pair.origin);
  const mask = Uint8Array.from(labels.values, map);
  if (options.mode !== 'slices') return [{ image: intensities, mask, pair }];
  const [x, y, z] = image.shape;
  const size = options.size ?? Math.max(x, y);
  const minForeground = options.minForeground ?? 1;
  const items: Item[] = [];
  for (let k = 0; k < z; k++) {
    const plane = mask.subarray(k * x * y, (k + 1) * x * y);
    if (plane.reduce((n, v) => n + (v > 0 ? 1 : 0), 0) < minForeground) continue;
    const slice = (values: Float32Array, mode: 'linear' | 'nearest') =>
      resampleVolume({ shape: [x, y, 1], spacing: [1, 1, 1], values }, [size, size, 1], mode).values;
    items.push({
      image: Uint16Array.from(slice(Float32Array.from(intensities.subarray(k * x * y, (k + 1) * x * y)), 'linear'), Math.round),
      mask: Uint8Array.from(slice(Float32Array.from(plane), 'nearest')),
      pair: { ...pair, origin: `${pair.origin} slice ${k}`, patient: options.splitBy === 'slice' ? undefined : (pair.patient ?? pair.image) },
    });
  }
  return items;
}

async function imageItem(pair: SegmentationPair, size: number, channels: 1 | 3, sixteenBit: boolean, map: (v: number) => number): Promise<Item> {
  const image = (await decodeImage(pair.image, size, channels, sixteenBit)).data;
  let raw: Buffer;
  try {
    // Nearest neighbour keeps label values intact; the first channel carries a gray or palette-free mask.
    raw = await sharp(pair.mask, { failOn: 'error' }).resize(size, size, { fit: 'fill', kernel: 'nearest' }).removeAlpha().extractChannel(0).raw().toBuffer();
  } catch (e) {
    throw new TtlError('E_BAD_IMAGE', `${pair.origin}: cannot decode mask ${pair.mask} (${e instanceof Error ? e.message : String(e)})`);
  }
  return { image, mask: Uint8Array.from(raw, map), pair };
}

function checkOptions(o: SegmentationLoadOptions): void {
  if (!isObject(o)) throw invalidParameterError('options', 'an object', o);
  if (o.mode !== undefined) oneOf('mode', o.mode, ['volumes', 'slices'] as const);
  if (o.splitBy !== undefined) oneOf('splitBy', o.splitBy, ['volume', 'slice'] as const);
  if (o.size !== undefined) integerIn('size', o.size, 8, 4096);
  if (o.minForeground !== undefined) integerIn('minForeground', o.minForeground, 0);
  if (o.shape !== undefined) shapeOf('shape', o.shape, [3]);
  if (o.spacing !== undefined && !(Array.isArray(o.spacing) && o.spacing.length === 3 && o.spacing.every((v) => typeof v === 'number' && v > 0)))
    throw invalidParameterError('spacing', 'three positive numbers (mm along x, y, z)', o.spacing);
}

/** Decodes segmentation pairs (images + masks, or volumes + label maps) into train/val/test splits. */
export async function loadSegmentationPairs(name: string, pairs: SegmentationPair[], options: SegmentationLoadOptions = {}): Promise<SegmentationDataset> {
  if (!pairs.length) throw new TtlError('E_BAD_INPUT', `${name}: no image/mask pairs`);
  checkOptions(options);
  const { names, map } = classLookup(options.classes);
  const volumes = isVolumePath(pairs[0].image);
  const mixed = pairs.find((p) => isVolumePath(p.image) !== volumes);
  if (mixed) throw new TtlError('E_BAD_INPUT', `${mixed.origin}: mixes volumes and 2D images in one dataset`);
  let items: Item[] = [];
  let shape: number[];
  let kind: SegmentationDataset['kind'];
  if (volumes) {
    let target = options.shape;
    for (const pair of pairs) {
      const { image, labels } = loadVolumePair(pair, options, target);
      target ??= image.shape;
      items.push(...volumeItems(pair, image, labels, options, map));
    }
    const [x, y, z] = target!;
    const size = options.size ?? Math.max(x, y);
    [shape, kind] = options.mode === 'slices' ? [[size, size], 'gray'] : [[z, y, x], 'volume'];
  } else {
    const size = options.size ?? 128;
    const channels = await channelsOf(pairs[0].image);
    const sixteenBit = (await Promise.all(pairs.map((p) => isHighDepth(p.image)))).some(Boolean);
    for (const pair of pairs) items.push(await imageItem(pair, size, channels, sixteenBit, map));
    [shape, kind] = [channels === 3 ? [size, size, 3] : [size, size], channels === 3 ? 'rgb' : 'gray'];
  }
  if (!items.length) throw new TtlError('E_BAD_INPUT', `${name}: no slice has foreground (minForeground ${options.minForeground ?? 1})`);
  const given = items.every((i) => i.pair.split);
  const splits = given
    ? items.map((i) => i.pair.split!)
    : stratifiedSplit(items.map(() => 0), items.map((i) => i.pair.patient), options.fractions ?? { val: 0.15, test: 0.15 }, options.seed ?? 0);
  const perImage = shape.reduce((a, b) => a * b, 1);
  const perMask = kind === 'rgb' ? perImage / 3 : perImage;
  const build = (split: SplitName): SegmentationSplit => {
    const chosen = items.filter((_, i) => splits[i] === split);
    if (!chosen.length) throw new TtlError('E_BAD_INPUT', `${name}: the ${split} split is empty (${items.length} items); give more data, a split column${options.mode === 'slices' && options.splitBy !== 'slice' ? ", or splitBy 'slice'" : ''}`);
    const sixteen = chosen[0].image instanceof Uint16Array;
    const images = sixteen ? new Uint16Array(chosen.length * perImage) : new Uint8Array(chosen.length * perImage);
    const masks = new Uint8Array(chosen.length * perMask);
    chosen.forEach((item, j) => {
      images.set(item.image as never, j * perImage);
      masks.set(item.mask, j * perMask);
    });
    return { images, shape: [chosen.length, ...shape], masks };
  };
  return { name, classes: names, kind, train: build('train'), val: build('val'), test: build('test') };
}

/** A segmentation dataset from a CSV manifest (file,mask[,split][,patient]). */
export async function loadSegmentationManifest(path: string, options: SegmentationLoadOptions = {}): Promise<SegmentationDataset> {
  return loadSegmentationPairs(basename(path, extname(path)), segmentationPairs(path, options.columns, options.allowOutsidePaths), options);
}
