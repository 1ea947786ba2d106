// The resolved configuration of a run: defaults < config file < command-line flags. Saved with the run.
import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { basename, join, resolve } from 'node:path';
import { TtlError, invalidParameterError } from '../errors.js';
import { getModelCard } from '../registry.js';
import type { Device } from '../model.js';
import { deviceOf, integerIn, isObject, numberIn, oneOf, shapeOf, trainingAutocast } from '../validate.js';
import type { LabelClasses } from '../data/segmentation.js';
import { CT_WINDOWS, type Intensity } from '../data/volume.js';
import { checkWindowPolicy, type WindowPolicy } from '../data/dicom/index.js';
import { FRAME_POLICIES } from '../data/decode.js';
import { TASKS, type Task } from './task.js';
import { LAST_BATCH, TRAINING_DEFAULTS, defaultLr } from '../train/defaults.js';
import type { LastBatch } from '../native/binding.js';
import { checkThreads, type RunThreads } from './threads.js';

export const STRATEGY_KINDS = ['ftl', 'ffe', 'lwft', 'tf', 'ttl'] as const;
export type StrategyKind = (typeof STRATEGY_KINDS)[number];
export type SearchMode = 'block' | 'two-stage' | 'all' | 'probe' | number[];

export interface RunConfig {
  out: string;
  /**
   * 'classification' (default), 'segmentation' (a U-Net decoder on each truncated encoder) or 'multilabel' (a
   * sigmoid per label; CSV manifests with a findings column or 0/1 label columns, or an .npz with [N, L] labels).
   */
  task: Task;
  data: string;
  /** Segmentation: foreground classes by label value, e.g. { liver: [5] }; default binary masks. */
  classes: LabelClasses | null;
  /** Volumes: intensity window ([low, high], a CT window name, or 'minmax'). */
  intensity: Intensity;
  /** DICOM images: the window policy ('auto', 'stored', 'minmax', [low, high] or a CT window name). */
  dicomWindow: WindowPolicy;
  /** Multi-frame DICOM: 'middle', 'all' or a 0-based frame for a 2D network, 'volume' for a 3D one; null refuses them. */
  dicomFrame: number | 'middle' | 'all' | 'volume' | null;
  /** Volumes: [x, y, z] voxels each volume is brought to (default imageSize^3). */
  volumeShape: [number, number, number] | null;
  /** Volumes: resample to this spacing (mm) first, then centre crop / pad to volumeShape. */
  spacing: [number, number, number] | null;
  /** Segmentation of volumes with a 2D network: train on axial slices. */
  slices: boolean;
  model: string;
  weights: string | null;
  allowMissing: boolean;
  /** CSV manifests may name files outside the CSV's folder. */
  allowOutsidePaths: boolean;
  /**
   * Folder and CSV data: the decoded-image cache's folder (null: $TTL_TORCH_CACHE/decoded or
   * ~/.cache/ttl-torch/decoded), or false to decode into memory at every load.
   */
  dataCache: string | false | null;
  strategies: StrategyKind[];
  search: SearchMode;
  /** Stage 2 tries units within this distance of stage 1's best cutoff. */
  radius: number;
  /** search 'probe': finetune only this many cutoffs, the best by linear-probe validation AUROC. */
  probeTop: number;
  repeats: number;
  seed: number;
  epochs: number;
  /** Square input side (cube for 3D); 'auto' (default) see run/image-size.ts. */
  imageSize: number | 'auto';
  batchSize: number;
  /** Head learning rate, or 'auto': an LR range test per trial (strategy, cutoff and seed) picks it. */
  lr: number | 'auto';
  pretrainedLrScale: number;
  optimizer: 'sgd' | 'adamw';
  weightDecay: number;
  /** Linear warm-up over this fraction of all training steps. */
  warmup: number;
  /** Largest global gradient L2 norm of a step (larger ones are rescaled to it); 0 never clips. */
  clipGradNorm: number;
  /** What an epoch does with the samples that do not fill a last batch (TrainingOptions.lastBatch). */
  lastBatch: LastBatch;
  patience: number;
  autocast: '' | 'bf16';
  augment: boolean;
  device: Device;
  /**
   * Analyses run after the trials and shown in report.html. Default: SVCCA and the FTL-vs-TTL Grad-CAM figure for
   * classification, predicted-vs-true mask overlays (best / median / worst Dice) for 2D segmentation.
   */
  analyses: AnalysisKind[];
  /**
   * Intra-op threads of each trial (see run/threads.ts): 'auto' (the cores this process may use, fixed when the
   * run is created), 'adaptive' (the free cores when each trial starts: faster beside a busy neighbour, not
   * reproducible) or a number.
   */
  threads: RunThreads;
  /** LibTorch's deterministic algorithms on; refuses 'adaptive' threads. */
  deterministic: boolean;
}

/** A run's configuration once its image size is a number (run/image-size.ts): what builds inputs needs one. */
export type SizedRunConfig = RunConfig & { imageSize: number };

export const ANALYSES = ['svcca', 'gradcam', 'masks'] as const;
export type AnalysisKind = (typeof ANALYSES)[number];

/**
 * Every run's defaults, each field overridden by the config file and the flags; with nothing given they make
 * `npx ttl-torch run` a small, complete demo that finishes in minutes on a laptop CPU.
 */
export const RUN_DEFAULTS: Omit<RunConfig, 'out' | 'lr' | 'analyses'> = {
  task: 'classification', classes: null, intensity: 'minmax', dicomWindow: 'auto', dicomFrame: null, volumeShape: null, spacing: null, slices: false,
  data: 'pneumoniamnist', model: 'squeezenet1_1', weights: 'imagenet', allowMissing: false, allowOutsidePaths: false, dataCache: null, strategies: ['ftl', 'ttl'],
  search: 'block', radius: 1, probeTop: 3, repeats: 1, seed: 0, epochs: 3, imageSize: 'auto', batchSize: TRAINING_DEFAULTS.batchSize,
  pretrainedLrScale: TRAINING_DEFAULTS.pretrainedLrScale, optimizer: TRAINING_DEFAULTS.optimizer, weightDecay: TRAINING_DEFAULTS.weightDecay, warmup: TRAINING_DEFAULTS.warmup, clipGradNorm: TRAINING_DEFAULTS.clipGradNorm, lastBatch: TRAINING_DEFAULTS.lastBatch, patience: 100, autocast: '', augment: true, device: 'auto',
  threads: 'auto', deterministic: false,
};

/** @deprecated since 0.2.0, removed in 0.3.0: renamed RUN_DEFAULTS (they are every run's defaults, not only the demo's). */
export const DEMO = RUN_DEFAULTS;

// Multi-label runs have no analyses yet: Grad-CAM and SVCCA read the trials' networks as softmax classifiers.
const DEFAULT_ANALYSES: Record<Task, AnalysisKind[]> = { classification: ['svcca', 'gradcam'], segmentation: ['masks'], multilabel: [] };

export function parseSearch(value: unknown): SearchMode {
  if (Array.isArray(value) && value.length && value.every((k) => Number.isInteger(k))) return value as number[];
  if (typeof value === 'string') {
    if (value === 'block' || value === 'two-stage' || value === 'all' || value === 'probe') return value;
    const list = /^k=([\d,\s]+)$/.exec(value);
    if (list) return list[1].split(',').map((k) => Number(k.trim()));
  }
  throw invalidParameterError('search', "'block', 'two-stage', 'all', 'probe' or 'k=LIST' (e.g. k=4,8,14)", value);
}

function checkSpacing(value: unknown): [number, number, number] | null {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value) && value.length === 3 && value.every((v) => typeof v === 'number' && v > 0)) return value as [number, number, number];
  throw invalidParameterError('spacing', 'three positive numbers (mm along x, y, z)', value);
}

function checkAnalyses(value: unknown, task: Task): AnalysisKind[] {
  if (value === 'none' || value === '') return [];
  const list = typeof value === 'string' ? value.split(',').map((s) => s.trim()) : value;
  if (!Array.isArray(list)) throw invalidParameterError('analyses', `a list of ${ANALYSES.join(', ')} or 'none'`, value);
  const analyses = list.map((a, i) => oneOf(`analyses[${i}]`, a, ANALYSES));
  if (task === 'multilabel' && analyses.length)
    throw invalidParameterError('analyses', "'none' for a multi-label run (its analyses read softmax classifiers)", value);
  return analyses;
}

function checkDataCache(value: unknown): string | false | null {
  if (value === undefined || value === null) return null;
  if (value === false || value === 'off') return false;
  if (typeof value === 'string' && value.trim()) return value;
  throw invalidParameterError('dataCache', "a folder for the decoded-image cache, or false / 'off' to decode into memory", value);
}

function checkIntensity(value: unknown): Intensity {
  if (value === 'minmax' || (typeof value === 'string' && value in CT_WINDOWS)) return value as Intensity;
  if (Array.isArray(value) && value.length === 2 && value.every(Number.isFinite) && value[1] > value[0]) return value as [number, number];
  throw invalidParameterError('intensity', `[low, high] with low < high, 'minmax' or one of ${Object.keys(CT_WINDOWS).join(', ')}`, value);
}

// Configurations saved before warm-up was a fraction of the steps counted it in epochs.
const warmupOf = (raw: Record<string, unknown>, merged: Record<string, unknown>) =>
  raw.warmup === undefined && raw.warmupEpochs !== undefined ? Math.min(0.5, Number(raw.warmupEpochs) / Number(merged.epochs)) : merged.warmup;

/** Validates a merged configuration; every field is checked with a message naming it. */
export function checkConfig(raw: Record<string, unknown>): RunConfig {
  const merged = { ...RUN_DEFAULTS, ...raw } as Record<string, unknown>;
  const card = getModelCard(String(merged.model));
  const strategies = typeof merged.strategies === 'string' ? merged.strategies.split(',').map((s) => s.trim()) : merged.strategies;
  if (!Array.isArray(strategies) || !strategies.length) throw invalidParameterError('strategies', 'a list of ftl, ffe, lwft, tf, ttl', merged.strategies);
  const search = parseSearch(merged.search);
  if (Array.isArray(search))
    for (const k of search)
      if (k < 1 || k > card.units.length) throw new TtlError('E_BAD_CUTOFF', `search k=${k} is out of range for ${card.name}: use 1..${card.units.length}`);
  const autocast = merged.autocast === 'none' || merged.autocast === undefined ? '' : merged.autocast;
  const task = oneOf('task', merged.task, TASKS);
  if (task !== 'classification' && search === 'probe')
    throw invalidParameterError('search', `'block', 'two-stage', 'all' or 'k=LIST' for ${task} (linear probes score single-label classification)`, merged.search);
  if (merged.classes !== null && !isObject(merged.classes))
    throw invalidParameterError('classes', 'an object mapping class names to label values, e.g. {"liver": [5]}', merged.classes);
  if (merged.lr === 'auto' && task === 'segmentation')
    throw invalidParameterError('lr', "a number for segmentation ('auto' runs its range test on classification losses)", merged.lr);
  const imageSize = merged.imageSize === 'auto' ? 'auto' : integerIn('imageSize', Number(merged.imageSize), 16, 4096);
  if (imageSize !== 'auto' && card.input.minSize && imageSize < card.input.minSize)
    throw new TtlError('E_BAD_ARGUMENT', `imageSize ${imageSize} is too small for ${card.name}: its layers need at least ${card.input.minSize} px`);
  const threads = checkThreads(merged.threads);
  if (typeof merged.deterministic !== 'boolean') throw invalidParameterError('deterministic', 'true or false', merged.deterministic);
  const deterministic = merged.deterministic;
  if (deterministic && threads === 'adaptive')
    throw new TtlError('E_BAD_ARGUMENT', "deterministic runs keep one thread count: threads 'adaptive' changes it with the load (use 'auto' or a number)");
  const triple = (name: string, v: unknown) => (v === null || v === undefined ? null : (shapeOf(name, v, [3]) as [number, number, number]));
  return {
    out: resolve(String(merged.out ?? 'runs/demo')),
    task,
    data: String(merged.data),
    classes: merged.classes as LabelClasses | null,
    intensity: checkIntensity(merged.intensity),
    dicomWindow: checkWindowPolicy(merged.dicomWindow, 'dicomWindow'),
    dicomFrame: merged.dicomFrame === null || FRAME_POLICIES.includes(merged.dicomFrame as never) ? merged.dicomFrame as RunConfig['dicomFrame'] : integerIn('dicomFrame', Number(merged.dicomFrame), 0, 1e6),
    volumeShape: triple('volumeShape', merged.volumeShape),
    spacing: checkSpacing(merged.spacing),
    slices: Boolean(merged.slices),
    model: card.name,
    weights: merged.weights === null || merged.weights === 'none' ? null : String(merged.weights),
    allowMissing: Boolean(merged.allowMissing),
    allowOutsidePaths: merged.allowOutsidePaths === true,
    dataCache: checkDataCache(merged.dataCache),
    strategies: strategies.map((s, i) => oneOf(`strategies[${i}]`, s, STRATEGY_KINDS)),
    search,
    radius: integerIn('radius', Number(merged.radius), 1, 100),
    probeTop: integerIn('probeTop', Number(merged.probeTop), 1, 100),
    repeats: integerIn('repeats', Number(merged.repeats), 1, 100),
    seed: integerIn('seed', Number(merged.seed), 0, 2 ** 31 - 1),
    epochs: integerIn('epochs', Number(merged.epochs), 1, 10000),
    imageSize,
    batchSize: integerIn('batchSize', Number(merged.batchSize), 1, 4096),
    lr: merged.lr === 'auto' ? 'auto' : numberIn('lr', Number(merged.lr ?? defaultLr(card)), 0, 10),
    pretrainedLrScale: numberIn('pretrainedLrScale', Number(merged.pretrainedLrScale), 0, 1000),
    optimizer: oneOf('optimizer', merged.optimizer, ['sgd', 'adamw'] as const),
    weightDecay: numberIn('weightDecay', Number(merged.weightDecay), 0, 1),
    warmup: numberIn('warmup', Number(warmupOf(raw, merged)), 0, 0.5),
    clipGradNorm: numberIn('clipGradNorm', Number(merged.clipGradNorm), 0, 1e6),
    lastBatch: oneOf('lastBatch', merged.lastBatch, LAST_BATCH),
    patience: integerIn('patience', Number(merged.patience), 1, 10000),
    autocast: trainingAutocast('autocast', autocast),
    augment: merged.augment !== false && merged.augment !== 'false',
    device: deviceOf('device', merged.device),
    analyses: merged.analyses === undefined ? DEFAULT_ANALYSES[task] : checkAnalyses(merged.analyses, task),
    threads,
    deterministic,
  };
}

/** Reads a JSON or YAML (.yaml/.yml) config file; its keys are RunConfig fields. */
export function readConfigFile(path: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    const text = readFileSync(path, 'utf8');
    parsed = /\.ya?ml$/i.test(path) ? parseYaml(text) : JSON.parse(text);
  } catch (e) {
    throw new TtlError('E_BAD_ARGUMENT', `config file ${path}: ${(e as Error).message}`);
  }
  if (!isObject(parsed)) throw new TtlError('E_BAD_ARGUMENT', `config file ${path}: expected a mapping of options`);
  return parsed;
}

/**
 * The saved configuration of a run directory (for --resume and `ttl-torch report`), checked exactly like
 * command-line flags: a hand-edited or corrupt config.json is an E_BAD_RUN error naming the file.
 */
export function readSavedConfig(dir: string): SizedRunConfig {
  const path = join(dir, 'config.json');
  if (!existsSync(path)) throw new TtlError('E_NO_FILE', `${dir} is not a ttl-torch run (no config.json)`);
  let saved: unknown;
  try {
    saved = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new TtlError('E_BAD_RUN', `${path}: ${(e as Error).message}`);
  }
  if (!isObject(saved)) throw new TtlError('E_BAD_RUN', `${path}: expected an object of run options`);
  // Bookkeeping fields written beside the options; runs saved before tasks existed get the defaults,
  // runs saved before analyses were part of a run made none, those saved before clipping trained without it, and
  // those saved before even batches trained with a ragged last batch. A run saves the size 'auto' chose.
  const { createdAt: _created, node: _node, ...options } = saved;
  try {
    const config = { ...checkConfig({ analyses: [], clipGradNorm: 0, lastBatch: 'keep', ...options, out: dir }), out: dir };
    if (config.imageSize === 'auto') throw invalidParameterError('imageSize', 'the number of pixels the run trained at', 'auto');
    return config as SizedRunConfig;
  } catch (e) {
    if (e instanceof TtlError) throw new TtlError('E_BAD_RUN', `${path}: ${e.message}`, { cause: e });
    throw e;
  }
}

export const runName = (config: RunConfig) => basename(config.out);
