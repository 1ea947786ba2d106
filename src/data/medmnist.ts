// MedMNIST v2 .npz files: train/val/test images and labels, in the official splits.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { TtlError } from '../errors.js';
import { readZip, readZipAsync } from '../fs/zip.js';
import type { ImageDataset, MemorySplit } from './dataset.js';
import { parseNpy } from './npy.js';

const MAX_LABEL = 2 ** 31 - 1;

function split(entries: Map<string, { data: Uint8Array }>, name: 'train' | 'val' | 'test', path: string): MemorySplit {
  const get = (key: string) => {
    const entry = entries.get(`${key}.npy`);
    if (!entry) throw new TtlError('E_BAD_INPUT', `${path}: ${key} is missing (a MedMNIST .npz has train/val/test _images and _labels)`);
    return parseNpy(entry.data, `${path}:${key}`);
  };
  const images = get(`${name}_images`);
  const labels = get(`${name}_labels`);
  if (!(images.data instanceof Uint8Array)) throw new TtlError('E_BAD_INPUT', `${path}: ${name}_images must be uint8, got ${images.dtype}`);
  if (images.shape.length < 3 || images.shape.length > 4)
    throw new TtlError('E_BAD_INPUT', `${path}: ${name}_images has shape [${images.shape}]; expected [N, H, W], [N, H, W, 3] or [N, D, H, W]`);
  const n = images.shape[0];
  if (labels.shape[0] !== n) throw new TtlError('E_BAD_INPUT', `${path}: ${n} ${name} images but ${labels.shape[0]} labels`);
  const perImage = labels.shape.slice(1).reduce((a, b) => a * b, 1);
  if (labels.shape.length > 2 || (labels.shape.length === 2 && perImage < 1))
    throw new TtlError('E_BAD_INPUT', `${path}: ${name}_labels has shape [${labels.shape}]; expected [N], [N, 1] (a class per image) or [N, L] (0/1 per label)`);
  // [N, L] with L > 1: a multi-label task (ChestMNIST's 14 findings), 0 or 1 per image and label.
  if (perImage > 1) return { images: images.data, shape: images.shape, labels: new Int32Array(n), targets: multiHotLabels(labels.data, perImage, `${path}: ${name}_labels`) };
  const values = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = Number(labels.data[i]);
    if (!Number.isInteger(v) || v < 0 || v > MAX_LABEL)
      throw new TtlError('E_BAD_INPUT', `${path}: ${name}_labels[${i}] is ${v}; labels must be class indices 0, 1, 2, ...`);
    values[i] = v;
  }
  return { images: images.data, shape: images.shape, labels: values };
}

function multiHotLabels(data: ArrayLike<number | bigint>, labels: number, where: string): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = Number(data[i]);
    if (v !== 0 && v !== 1)
      throw new TtlError('E_BAD_INPUT', `${where}[${Math.floor(i / labels)}, ${i % labels}] is ${v}; multi-label labels must be 0 or 1`);
    out[i] = v;
  }
  return out;
}

const npz = { kind: 'MedMNIST .npz file', code: 'E_BAD_INPUT' } as const;
const cannotOpen = (path: string, e: unknown) => new TtlError('E_NO_FILE', `cannot open dataset ${path}: ${(e as Error).message}`);

/** Reads a MedMNIST .npz (2D [N,H,W] or [N,H,W,3]; 3D [N,D,H,W]). Class names are the label indices. */
export function readMedMNIST(path: string): ImageDataset<MemorySplit> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw cannotOpen(path, e);
  }
  return fromEntries(path, readZip(bytes, path, npz));
}

/** readMedMNIST with the file read and inflated off the event loop (a 4 MB .npz blocked it for ~30 ms). */
export async function readMedMNISTAsync(path: string): Promise<ImageDataset<MemorySplit>> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw cannotOpen(path, e);
  }
  return fromEntries(path, await readZipAsync(bytes, path, npz));
}

function fromEntries(path: string, entries: Map<string, { data: Uint8Array }>): ImageDataset<MemorySplit> {
  const train = split(entries, 'train', path);
  const val = split(entries, 'val', path);
  const test = split(entries, 'test', path);
  const rank = train.shape.length;
  const kind = rank === 4 && train.shape[3] === 3 ? 'rgb' : rank === 4 ? 'volume' : 'gray';
  const name = basename(path).replace(/\.npz$/, '');
  if (train.targets || val.targets || test.targets) {
    const widths = [train, val, test].map((s) => (s.targets ? s.targets.length / s.shape[0] : 1));
    if (!train.targets || !val.targets || !test.targets || widths.some((w) => w !== widths[0]))
      throw new TtlError('E_BAD_INPUT', `${path}: the splits' labels have ${widths.join(', ')} columns; a multi-label file has the same L > 1 in every split`);
    // The file names no findings: the labels are their column indices.
    return { name, classes: Array.from({ length: widths[0] }, (_, i) => String(i)), kind, train, val, test };
  }
  // A loop, not Math.max(...labels): spreading 236,386 labels overflows the call stack.
  let top = 0;
  for (const s of [train, val, test]) for (const label of s.labels) top = Math.max(top, label);
  const samples = train.labels.length + val.labels.length + test.labels.length;
  // Every class has examples in a real dataset: a label above the sample count is corrupt, and would
  // otherwise build that many class names.
  if (top >= samples)
    throw new TtlError('E_BAD_INPUT', `${path}: label ${top} means at least ${top + 1} classes, but there are only ${samples} samples; labels must be class indices 0..C-1`);
  const numClasses = top + 1;
  return {
    name,
    classes: Array.from({ length: numClasses }, (_, i) => String(i)),
    kind,
    train,
    val,
    test,
  };
}
