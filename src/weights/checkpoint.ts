// What a saved checkpoint says about itself: enough to rebuild the exact network and to feed it the way
// training did, so that a service never re-implements (and drifts from) the preprocessing.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TtlError } from '../errors.js';
import type { HeadKind } from '../registry.js';
import type { VolumeDecoding } from '../data/volume.js';
import type { DicomDecoding } from '../data/decode.js';
import { readSafetensors } from './safetensors.js';
import { packageRoot } from '../package-root.js';

/**
 * Bumped whenever the native pipeline (resize, channel replication, normalisation) or the decoding of
 * files changes what a network sees; a predictor refuses a checkpoint from a newer version.
 */
export const PREPROCESSING_VERSION = 1;

/** 2: self-describing (this module); 1: identity only (model, k, head, numClasses); 0: not ours. */
export type CheckpointFormat = 0 | 1 | 2;

export interface CheckpointInput {
  /** Network input size (square / cubic) and, when not square, the spatial shape [H, W] or [D, H, W]. */
  size: number;
  shape?: number[];
  /** Frames of a 3D network's input (the card's), absent for 2D. */
  frames?: number;
  channels: number;
  mean: number[];
  std: number[];
}

/** How training held its images before the native pipeline: what a predictor decodes a file to. */
export interface CheckpointStorage {
  kind: 'gray' | 'rgb' | 'volume';
  /** Per-sample stored shape: [H, W], [H, W, C] or [D, H, W]. */
  shape: number[];
  /** 8 or 16 bits per sample. */
  depth: 8 | 16;
}

export interface CheckpointInfo {
  format: CheckpointFormat;
  model: string;
  k: number;
  /** Unit index (1-based) after which units were rebuilt at half width; -1 for none. */
  slimAfter: number;
  head: HeadKind;
  numClasses: number;
  inChannels?: number;
  /** 'multilabel': one sigmoid per label; `classes` then names the labels. */
  task?: 'classification' | 'segmentation' | 'multilabel';
  classes?: string[];
  input?: CheckpointInput;
  storage?: CheckpointStorage;
  /** CT intensity window [lo, hi] applied while loading volumes, if any. */
  intensityWindow?: [number, number];
  /** How volume files were decoded to the stored voxels (intensity window, spacing), for volume datasets read from files. */
  volume?: VolumeDecoding;
  /** How DICOM images were decoded (window, frame), when a policy was given. */
  dicom?: DicomDecoding;
  preprocessing?: number;
  ttlTorch?: string;
  /** sha256 (16 hex) of the training options that shaped the weights. */
  configHash?: string;
}

let version: string | undefined;

export function ttlTorchVersion(): string {
  version ??= (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
  return version;
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object' && !ArrayBuffer.isView(value))
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical((value as Record<string, unknown>)[k])]));
  return value;
}

/** A stable hash of plain options: functions, signals and typed arrays (data) do not count, key order does not matter. */
export function configHash(options: Record<string, unknown>): string {
  const plain = JSON.stringify(canonical(options), (_k, v) =>
    typeof v === 'function' || (typeof AbortSignal !== 'undefined' && v instanceof AbortSignal) || ArrayBuffer.isView(v) ? undefined : v);
  return createHash('sha256').update(plain).digest('hex').slice(0, 16);
}

/** The safetensors metadata (string → string) of a checkpoint. */
export function checkpointMetadata(info: Omit<CheckpointInfo, 'format'>): Record<string, string> {
  const meta: Record<string, string> = {
    format: 'ttl-torch/2', model: info.model, k: String(info.k), slimAfter: String(info.slimAfter), head: info.head,
    numClasses: String(info.numClasses), preprocessing: String(info.preprocessing ?? PREPROCESSING_VERSION),
    ttlTorch: info.ttlTorch ?? ttlTorchVersion(),
  };
  if (info.inChannels !== undefined) meta.inChannels = String(info.inChannels);
  if (info.task) meta.task = info.task;
  if (info.classes) meta.classes = JSON.stringify(info.classes);
  if (info.input) meta.input = JSON.stringify(info.input);
  if (info.storage) meta.storage = JSON.stringify(info.storage);
  if (info.intensityWindow) meta.intensityWindow = JSON.stringify(info.intensityWindow);
  if (info.volume) meta.volume = JSON.stringify(info.volume);
  if (info.dicom) meta.dicom = JSON.stringify(info.dicom);
  if (info.configHash) meta.configHash = info.configHash;
  return meta;
}

function json<T>(path: string, meta: Record<string, string>, key: string): T | undefined {
  if (meta[key] === undefined) return undefined;
  try {
    return JSON.parse(meta[key]) as T;
  } catch {
    throw new TtlError('E_BAD_WEIGHTS', `${path}: checkpoint metadata '${key}' is not valid JSON`);
  }
}

/** Reads what a checkpoint says about itself; format 0 when it is not a ttl-torch checkpoint. */
export function describeMetadata(path: string, meta: Record<string, string>): CheckpointInfo | undefined {
  if (meta.model === undefined || meta.k === undefined) return undefined;
  const format: CheckpointFormat = meta.format === 'ttl-torch/2' ? 2 : 1;
  const int = (key: string, fallback: number) => {
    if (meta[key] === undefined) return fallback;
    const n = Number(meta[key]);
    if (!Number.isInteger(n)) throw new TtlError('E_BAD_WEIGHTS', `${path}: checkpoint metadata '${key}' is not an integer: '${meta[key]}'`);
    return n;
  };
  return {
    format, model: meta.model, k: int('k', 0), slimAfter: int('slimAfter', -1), head: meta.head as HeadKind,
    numClasses: int('numClasses', 0), inChannels: meta.inChannels === undefined ? undefined : int('inChannels', 0),
    task: meta.task as CheckpointInfo['task'], classes: json(path, meta, 'classes'), input: json(path, meta, 'input'),
    storage: json(path, meta, 'storage'), intensityWindow: json(path, meta, 'intensityWindow'),
    volume: json(path, meta, 'volume'),
    dicom: json(path, meta, 'dicom'),
    preprocessing: meta.preprocessing === undefined ? undefined : int('preprocessing', 0), ttlTorch: meta.ttlTorch, configHash: meta.configHash,
  };
}

/** What a .safetensors checkpoint says about itself (undefined for files without ttl-torch metadata). */
export function readCheckpointInfo(path: string): CheckpointInfo | undefined {
  return describeMetadata(path, readSafetensors(path).metadata);
}
