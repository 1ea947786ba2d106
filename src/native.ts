// The only module that loads the compiled addon; everything else imports its typed surface.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TtlError } from './errors.js';

export interface NativeTensor {
  data: Float32Array;
  shape: number[];
}

export interface NativeStateEntry {
  name: string;
  dtype: string;
  shape: number[];
  data: Uint8Array;
}

export interface NativeUnit {
  name: string;
  block: number;
  outChannels: number;
  reduction: number;
  paramPrefixes: string[];
  built: boolean;
  slim: boolean;
}

export interface NativeLoadReport {
  loaded: string[];
  missing: string[];
  unexpected: string[];
  dropped: string[];
  headSkipped: string[];
  randomUnits: string[];
  reinitialised: string[];
}

export interface NativeComplexity {
  units: { params: number; macs: number; outShape: number[] }[];
  params: number;
  trainableParams: number;
  macs: number;
  headParams: number;
  headMacs: number;
}

export interface NativeArchSpec {
  family: string;
  block?: string;
  layers?: number[];
  growthRate?: number;
  numInitFeatures?: number;
  bnSize?: number;
  cardinality?: number;
  keepUnits: number;
  slimAfter: number;
  inChannels: number;
  head: { kind: 'original' | 'linear' | 'none' | 'unet'; numClasses: number; dropout: number };
}

export interface NativeOptimOptions {
  optimizer: 'sgd' | 'adamw';
  lr: number;
  momentum: number;
  nesterov: boolean;
  weightDecay: number;
  unitLrScale: number[];
  headLrScale: number;
  frozenBnEval: boolean;
  epochs: number;
  /** Linear warm-up steps before the cosine decay. */
  warmupSteps: number;
  /** 'exponential' sweeps lr -> lrEnd geometrically over the steps (the LR range test). */
  schedule: 'cosine' | 'exponential';
  lrEnd: number;
  stepsPerEpoch: number;
  classWeights: number[];
  autocast: '' | 'bf16' | 'fp16';
}

export interface NativeAugmentOptions {
  cropScaleMin: number;
  maxAspectLog: number;
  hflip: boolean;
  maxRotationDeg: number;
  brightness: number;
  contrast: number;
}

export interface NativePipelineOptions {
  size: number;
  channels: number;
  mean: number[];
  std: number[];
  /** Output spatial shape [H, W] or [D, H, W]; default: size in every dimension. */
  shape?: number[];
  augment?: NativeAugmentOptions;
}

export interface NativeStore {
  size(): number;
}

export interface NativeEpochStats {
  loss: number;
  batches: number;
  samples: number;
  lr: number;
}

export interface NativeModel {
  units(): NativeUnit[];
  device(): string;
  forward(input: NativeTensor, capture: number[]): Promise<{ output: NativeTensor; captured: Record<string, NativeTensor> }>;
  complexity(inputShape: number[]): Promise<NativeComplexity>;
  loadState(entries: NativeStateEntry[], options: { allowMissing: boolean; layout: string; prefix: string }): Promise<NativeLoadReport>;
  state(): Promise<NativeStateEntry[]>;
  freeze(units: number): Promise<void>;
  configureTraining(options: NativeOptimOptions): Promise<void>;
  trainStep(input: NativeTensor, labels: Int32Array): Promise<number>;
  trainEpoch(
    store: NativeStore,
    pipeline: NativePipelineOptions,
    options: { batchSize: number; seed: number; epoch: number },
    onBatch?: (event: { batch: number; batches: number; loss: number }) => void,
  ): Promise<NativeEpochStats>;
  predict(store: NativeStore, pipeline: NativePipelineOptions, batchSize: number): Promise<NativeTensor>;
  /** Segmentation networks: per image [Dice, Jaccard, cross-entropy] at the masks' resolution. */
  segment(store: NativeStore, pipeline: NativePipelineOptions, batchSize: number): Promise<{ data: Float64Array; shape: number[] }>;
  snapshot(): Promise<void>;
  restore(): Promise<void>;
  /** Sets (default) or clears the sticky cancel flag checked before every training and evaluation batch. */
  cancel(value?: boolean): void;
  /** Calls on this model not yet settled (running or queued). */
  pending(): number;
  latency(inputShape: number[], warmup: number, runs: number): Promise<Float64Array>;
  features(store: NativeStore, pipeline: NativePipelineOptions, units: number[], batchSize: number, spatialSamples: number): Promise<Record<string, NativeTensor>>;
  gradCam(input: NativeTensor, unit: number, targetClass: number): Promise<NativeTensor>;
  trainingGroups(): Promise<{ lr: number; params: string[] }[]>;
  dispose(): void;
}

export interface NativeRuntimeInfo {
  libtorch: string;
  cudaAvailable: boolean;
  cudaDevices: number;
  threads: number;
  flushDenormal: boolean;
  parallelInfo: string;
}

export interface Binding {
  info(): Promise<NativeRuntimeInfo>;
  setThreads(threads: number): void;
  /** threads: intra-op threads for this model's tasks (0 or absent: the process-wide setting). */
  createModel(spec: NativeArchSpec, options: { device: string; seed: number; threads?: number }): Promise<NativeModel>;
  cca(x: { data: Float64Array; shape: number[] }, y: { data: Float64Array; shape: number[] }, epsilon: number): Promise<{ data: Float64Array; shape: number[] }>;
  svdReduce(x: { data: Float64Array; shape: number[] }, keepFraction: number): Promise<{ data: Float64Array; shape: number[] }>;
  fitProbe(trainX: NativeTensor, trainY: Int32Array, applyX: NativeTensor, numClasses: number, l2: number, iterations: number): Promise<{ trainProbs: NativeTensor; applyProbs: NativeTensor }>;
  Store: new (
    images: Uint8Array | Uint16Array, shape: number[], labels: Int32Array, color: boolean, masks?: { data: Uint8Array; shape: number[] },
  ) => NativeStore;
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
let binding: Binding | undefined;

/** Loads the addon once: a local build first, then a prebuild for this platform. */
export function native(): Binding {
  if (binding) return binding;
  const require = createRequire(import.meta.url);
  const candidates = [
    join(root, 'build', 'Release', 'ttl_torch.node'),
    join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'ttl-torch.node'),
  ];
  const found = candidates.find((path) => existsSync(path));
  if (!found)
    throw new TtlError(
      'E_NATIVE_MISSING',
      `the ttl-torch addon is not built (looked for ${candidates.join(', ')}); run 'npm run build:native' ` +
        `after installing LibTorch (Debian/Ubuntu: apt-get install libtorch-dev)`,
    );
  // libgomp spin-waits by default; beside any other CPU-bound process, 2 threads then trained at 17-47 img/s
  // against 220 with PASSIVE (README, issue #12). libgomp reads it when the addon loads it, so it is set here.
  process.env.OMP_WAIT_POLICY ??= 'PASSIVE';
  binding = require(found) as Binding;
  const threads = process.env.TTL_TORCH_THREADS;
  if (threads !== undefined && /^\d+$/.test(threads)) binding.setThreads(Number(threads));
  return binding;
}
