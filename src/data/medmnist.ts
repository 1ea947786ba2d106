// MedMNIST v2 .npz files: train/val/test images and labels, in the official splits.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { TtlError } from '../errors.js';
import { readZip } from '../fs/zip.js';
import type { ImageDataset, ImageSplit } from './dataset.js';
import { parseNpy } from './npy.js';

function split(entries: Map<string, { data: Uint8Array }>, name: 'train' | 'val' | 'test', path: string): ImageSplit {
  const get = (key: string) => {
    const entry = entries.get(`${key}.npy`);
    if (!entry) throw new TtlError('E_BAD_INPUT', `${path}: ${key} is missing (a MedMNIST .npz has train/val/test _images and _labels)`);
    return parseNpy(entry.data, `${path}:${key}`);
  };
  const images = get(`${name}_images`);
  const labels = get(`${name}_labels`);
  if (!(images.data instanceof Uint8Array)) throw new TtlError('E_BAD_INPUT', `${path}: ${name}_images must be uint8, got ${images.dtype}`);
  const n = images.shape[0];
  if (labels.shape[0] !== n) throw new TtlError('E_BAD_INPUT', `${path}: ${n} ${name} images but ${labels.shape[0]} labels`);
  if (labels.shape.length > 1 && labels.shape.slice(1).reduce((a, b) => a * b, 1) !== 1)
    throw new TtlError('E_BAD_INPUT', `${path}: ${name}_labels has shape [${labels.shape}]; multi-label tasks are not supported`);
  const values = Int32Array.from(labels.data as ArrayLike<number | bigint>, (v) => Number(v));
  return { images: images.data, shape: images.shape, labels: values };
}

/** Reads a MedMNIST .npz (2D [N,H,W] or [N,H,W,3]; 3D [N,D,H,W]). Class names are the label indices. */
export function readMedMNIST(path: string): ImageDataset {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new TtlError('E_NO_FILE', `cannot open dataset ${path}: ${(e as Error).message}`);
  }
  const entries = readZip(bytes, path, { kind: 'MedMNIST .npz file', code: 'E_BAD_INPUT' });
  const train = split(entries, 'train', path);
  const val = split(entries, 'val', path);
  const test = split(entries, 'test', path);
  const rank = train.shape.length;
  const kind = rank === 4 && train.shape[3] === 3 ? 'rgb' : rank === 4 ? 'volume' : 'gray';
  const numClasses = Math.max(...train.labels, ...val.labels, ...test.labels) + 1;
  return {
    name: basename(path).replace(/\.npz$/, ''),
    classes: Array.from({ length: numClasses }, (_, i) => String(i)),
    kind,
    train,
    val,
    test,
  };
}
