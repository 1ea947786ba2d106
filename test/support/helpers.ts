import { spawn, type SpawnOptions } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { type Model } from '../../src/index.js';
import { readSafetensors, toFloat32, writeSafetensors, type SafeTensorsFile } from '../../src/weights/index.js';
import { root, shared, testCacheDir } from './paths.js';

export { root, shared, testCacheDir };
export const fixture = (name: string) => join(shared, 'fixtures', name);
export const sharedWeights = (name: string) => join(shared, 'weights', name);

if (!existsSync(shared)) throw new Error(`the test suite needs ../shared beside the checkout (looked at ${shared})`);

export function floats(file: SafeTensorsFile, name: string): { data: Float32Array; shape: number[] } {
  const t = file.tensors.get(name);
  if (!t) throw new Error(`fixture tensor ${name} missing`);
  return { data: toFloat32(t), shape: t.shape };
}

/** max |a-b| / max |b|: a relative error that ignores near-zero entries' noise. */
export function relativeError(actual: Float32Array, expected: Float32Array): number {
  expect(actual.length).toBe(expected.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return diff / scale;
}

/**
 * A segmentation mask (class per pixel or voxel, e.g. an exported model's int64 `mask`) agrees with the argmax
 * of the native logits [batch, classes, spatial...] wherever the best class leads the runner-up by more than
 * 1e-3 of the largest logit (closer calls may flip with rounding); those must be at least 90% of the pixels.
 */
export function expectMaskOf(mask: BigInt64Array, logits: Float32Array, batch: number): void {
  const size = mask.length / batch;
  const classes = logits.length / mask.length;
  const margin = 1e-3 * logits.reduce((a, v) => Math.max(a, Math.abs(v)), 0);
  let decided = 0;
  let disagree = 0;
  for (let p = 0; p < mask.length; p++) {
    const base = Math.floor(p / size) * classes * size + (p % size);
    const values = Array.from({ length: classes }, (_, c) => logits[base + c * size]);
    const sorted = [...values].sort((a, b) => b - a);
    if (sorted[0] - sorted[1] <= margin) continue;
    decided++;
    if (mask[p] !== BigInt(values.indexOf(sorted[0]))) disagree++;
  }
  expect(disagree, 'pixels whose class is not the native argmax').toBe(0);
  expect(decided).toBeGreaterThan(0.9 * mask.length);
}

/** Softmax over the class axis (1) of [batch, classes, spatial...] logits. */
export function softmaxClasses(logits: Float32Array, batch: number, classes: number): Float32Array {
  const size = logits.length / batch / classes;
  const out = new Float32Array(logits.length);
  for (let p = 0; p < batch * size; p++) {
    const base = Math.floor(p / size) * classes * size + (p % size);
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, logits[base + c * size]);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(logits[base + c * size] - max);
    for (let c = 0; c < classes; c++) out[base + c * size] = Math.exp(logits[base + c * size] - max) / sum;
  }
  return out;
}

export function maxAbsError(actual: Float32Array, expected: Float32Array): number {
  expect(actual.length).toBe(expected.length);
  let diff = 0;
  for (let i = 0; i < expected.length; i++) diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
  return diff;
}

/** Global average pool of an [N, C, H, W] map. */
export function gap(t: { data: Float32Array; shape: number[] }): Float32Array {
  const [n, c] = t.shape;
  const hw = t.shape.slice(2).reduce((a, b) => a * b, 1);
  const out = new Float32Array(n * c);
  for (let i = 0; i < n * c; i++) {
    let s = 0;
    for (let j = 0; j < hw; j++) s += t.data[i * hw + j];
    out[i] = s / hw;
  }
  return out;
}

export { readSafetensors };

type State = Awaited<ReturnType<Model['state']>>;

/** Replaces float32 tensor `name` of a model state by f(value, index) per element. */
export function mapState(state: State, name: string, f: (x: number, index: number) => number): void {
  const values = new Float32Array(state.get(name)!.data.slice().buffer).map(f);
  state.set(name, { ...state.get(name)!, data: new Uint8Array(values.buffer) });
}

/** Loads an edited model state back into the model, through a real safetensors file. */
export async function loadState(model: Model, state: State): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ttl-state-'));
  try {
    writeSafetensors(join(dir, 'state.safetensors'), [...state].map(([name, t]) => ({ name, ...t })));
    await model.loadWeights(join(dir, 'state.safetensors'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface Spawned { status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

/**
 * A child process, awaited: spawnSync for a run that may take a minute on a slow or capped CPU would block the test
 * process past vitest's 60 s RPC timeout ('Timeout calling "onTaskUpdate"'); a dry run of a 3D network took 60 s
 * under SSE4.1 kernels, the torchvision reference of the new families 40 s.
 */
export function spawnAsync(command: string, args: string[], options: SpawnOptions = {}): Promise<Spawned> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.once('error', reject);
    child.once('close', (status, signal) => resolve({ status, signal, stdout, stderr }));
  });
}

/** node with `args`, awaited (see spawnAsync). */
export const spawnNode = (args: string[], options: SpawnOptions = {}) => spawnAsync(process.execPath, args, options);
