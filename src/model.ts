// The public Model: a network built from a model card, optionally truncated after unit k, with a head.
import { existsSync } from 'node:fs';
import { checkpointMetadata, describeMetadata, type CheckpointInfo } from './weights/checkpoint.js';
import { TtlError, invalidParameterError } from './errors.js';
import { call, fromNative } from './native/call.js';
import { resolveCutoff, type Cutoff } from './cutoff/resolve.js';
import { loadNative, native } from './native/loader.js';
import type { InferenceCopyInfo, Int8CopyInfo, NativeComplexity, NativeDistGroup, NativeEpochStats, NativeEvaluation, NativeLoadReport, NativeModel, NativeOptimOptions, NativePipelineOptions, NativeDataParallelOptions, NativeEpochOptions, NativeStore, NativeUnit } from './native/binding.js';
import { checkInt8Supported, QUANTIZED_ENGINES, type QuantizedEngine } from './int8.js';
import { getModelCard, HEAD_KINDS, spatialDims, type HeadKind, type ModelCard } from './registry.js';
import { median } from './metrics/stats.js';
import { checkTensor, numel, type Tensor } from './nn/tensor.js';
import { renamed } from './deprecated.js';
import { booleanOf, deviceOf, integerIn, isObject, numberIn, oneOf, trainingAutocast, type Device } from './validate.js';
import { checkTensors } from './weights/check.js';
import { openPth } from './weights/pth.js';
import { readSafetensorsAsync, writeSafetensors } from './weights/safetensors.js';
import { resolveWeights, type ResolveOptions } from './weights/resolve.js';
import { TRAINING_DEFAULTS } from './train/defaults.js';

export type { Device, HeadKind };

/** createModel()'s options: the model's name as `model` (its old name `name` is a deprecated alias). */
export type CreateModelOptions = ModelOptions & ({ model: string } | { /** @deprecated since 0.2.0, removed in 0.3.0: use `model` */ name: string });

export interface ModelOptions {
  /** Keep units 1..k and drop the rest: k, a unit name, or 'blockN'. Default: all units. */
  cutoff?: Cutoff;
  /** TransFusion: rebuild the units after this cutoff at half width from random init. */
  slimAfter?: Cutoff;
  /**
   * 'original' (the architecture's ImageNet classifier), 'linear' (TTL head: GAP + linear), 'unet' (segmentation:
   * a U-Net decoder over the kept block ends, numClasses includes the background), or 'none'.
   */
  head?: HeadKind;
  numClasses?: number;
  /**
   * Multi-label classification: one sigmoid per label (numClasses is the number of labels) instead of a softmax
   * over classes. Training minimises binary cross-entropy, evaluation and predictions give per-label probabilities.
   * Needs head 'linear' or 'original'.
   */
  multiLabel?: boolean;
  dropout?: number;
  /** How a new linear head starts: 'zero' (BiT: every class equally likely) or 'random' (PyTorch's default). */
  headInit?: 'random' | 'zero';
  inChannels?: number;
  /** 'NAME' of a card entry (e.g. 'imagenet'), or a path to a .safetensors / .pth file. */
  weights?: string;
  allowMissing?: boolean;
  device?: Device;
  seed?: number;
  resolve?: ResolveOptions;
  /** Aborts a weights download (E_CANCELLED). */
  signal?: AbortSignal;
  /**
   * LibTorch intra-op threads for this model's work (set for each of its tasks on the shared compute thread
   * and restored after); default: the process-wide setting (setThreads, TTL_TORCH_THREADS).
   */
  threads?: number;
  /** Loads a ttl-torch checkpoint made for another cutoff, head or class count (the head then stays random). */
  allowMismatch?: boolean;
  /**
   * How convolution weights and inputs are laid out: 'auto' (default: channels-last for 2D networks on the CPU,
   * where oneDNN's NHWC kernels train ResNet-50 1.11x, DenseNet-121 1.14x and SqueezeNet 1.23x faster; 3D
   * networks gain nothing and stay contiguous), 'channels-last' or 'contiguous'. The layout changes the
   * kernels, so results differ from the other layout's in the last bits.
   */
  memoryFormat?: MemoryFormat;
}

export const MEMORY_FORMATS = ['auto', 'channels-last', 'contiguous'] as const;
export type MemoryFormat = (typeof MEMORY_FORMATS)[number];

/** Checkpoint key layouts the loader translates ('' recognises torchvision's and GluonCV's from the keys). */
const KEY_LAYOUTS = ['', 'torchvision', 'gluoncv_resnet_v2', 'radimagenet'] as const;

export interface LoadWeightsOptions {
  allowMissing?: boolean;
  /**
   * A ttl-torch checkpoint records the model, cutoff, slimAfter, head and class count it was saved from; loading
   * it into a model that differs is E_WEIGHTS_MISMATCH unless this is set.
   */
  allowMismatch?: boolean;
  /** Only checkpoint keys with this prefix are used, with the prefix removed. */
  prefix?: string;
  /**
   * Key layout of the checkpoint: 'torchvision', 'gluoncv_resnet_v2' or 'radimagenet' (RadImageNet's ResNet-50,
   * `backbone.0..7`); default: recognised from the keys (torchvision's and GluonCV's).
   */
  keyLayout?: string;
  /** @deprecated since 0.2.0, removed in 0.3.0: use `keyLayout` (`layout` also named the serving copy's kernels) */
  layout?: string;
}

export interface LoadReport extends NativeLoadReport {
  path: string;
  /** What the checkpoint says about itself, when it is a ttl-torch checkpoint. */
  checkpoint?: CheckpointInfo;
}

export interface UnitInfo {
  k: number;
  name: string;
  block: number;
  outChannels: number;
  reduction: number;
  /** Rebuilt at half width from random init (TransFusion). */
  slim: boolean;
}

export interface ForwardResult {
  output: Tensor;
  /** Unit outputs requested through `units`, keyed by unit name. */
  units: Record<string, Tensor>;
}

export interface TrainStepOptions {
  lr: number;
  momentum?: number;
  weightDecay?: number;
  nesterov?: boolean;
  /** Rescale the gradients to this global L2 norm when it is exceeded; 0 (default) never does. */
  clipGradNorm?: number;
  /** 'bf16': the forward under bf16 autocast (CPU and CUDA); float32 when absent. */
  autocast?: 'bf16';
}

/**
 * A network built from a model card, optionally truncated after unit k, with a head; created by createModel().
 * The one facade over the native model: units are counted from 1 (k) and native errors arrive as TtlErrors.
 */
export class Model {
  readonly card: ModelCard;
  /** Units kept (k). */
  readonly k: number;
  readonly head: HeadKind;
  readonly numClasses: number;
  /** One sigmoid per label (multi-label classification); false: a softmax over numClasses classes. */
  readonly multiLabel: boolean;
  /** Unit (1-based) after which units were rebuilt at half width (TransFusion); -1 for none. */
  readonly slimAfter: number;
  readonly inChannels: number;
  /** What the last weights load did (loaded, dropped, head replaced, units left random). */
  loadReport?: LoadReport;
  private frozenUnits = 0;
  private trainingKey = '';
  private nativeModel: NativeModel | undefined;

  /** @internal use createModel() */
  constructor(card: ModelCard, k: number, head: HeadKind, numClasses: number, nativeModel: NativeModel, slimAfter = -1, inChannels = card.input.channels, multiLabel = false) {
    this.card = card;
    this.k = k;
    this.head = head;
    this.numClasses = numClasses;
    this.multiLabel = multiLabel;
    this.slimAfter = slimAfter;
    this.inChannels = inChannels;
    this.nativeModel = nativeModel;
  }

  /** Calls on this model whose promises have not settled yet, and who waits for there to be none (close()). */
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];

  /** A native call on this model, counted until its promise settles (on the JS thread, like the native count). */
  private async track<T>(work: () => Promise<T>): Promise<T> {
    this.inFlight++;
    try {
      return await call(work);
    } finally {
      if (--this.inFlight === 0) for (const wake of this.idleWaiters.splice(0)) wake();
    }
  }

  private get net(): NativeModel {
    if (!this.nativeModel) throw new TtlError('E_DISPOSED', `model ${this.card.name} was disposed`);
    return this.nativeModel;
  }

  get name(): string {
    return this.card.name;
  }

  get device(): string {
    return this.net.device();
  }

  /** Kept units with their metadata, as recorded by the native builder. */
  get units(): UnitInfo[] {
    return this.allUnits().filter((u) => u.built).map(({ k, name, block, outChannels, reduction, slim }) => ({ k, name, block, outChannels, reduction, slim }));
  }

  private allUnits(): (NativeUnit & { k: number })[] {
    return this.net.units().map((u, i) => ({ ...u, k: i + 1 }));
  }

  // The public API counts units from 1 (k), the native layer indexes them from 0: these two convert.
  private unitIndex(unit: Cutoff): number {
    const k = resolveCutoff(this.card, unit);
    if (k > this.k)
      throw new TtlError('E_BAD_CUTOFF', `unit ${unit} (k=${k}) was removed: this model keeps units 1..${this.k}`);
    return k - 1;
  }

  private static unitK(index: string): number {
    return Number(index) + 1;
  }

  async forward(data: Float32Array, shape: number[], options: { units?: Cutoff[] } = {}): Promise<ForwardResult> {
    const input = checkTensor('input', data, shape);
    const capture = (options.units ?? []).map((u) => this.unitIndex(u));
    const result = await this.track(() => this.net.forward(input, capture));
    const units: Record<string, Tensor> = {};
    for (const [index, tensor] of Object.entries(result.captured)) units[this.card.units[Model.unitK(index) - 1]] = tensor;
    return { output: result.output, units };
  }

  /**
   * Grad-CAM heatmaps [N, ...spatial] in [0, 1] at `unit` (default: the last kept unit) for `targetClass`
   * (default: each sample's predicted class).
   */
  async gradCam(data: Float32Array, shape: number[], options: { unit?: Cutoff; targetClass?: number } = {}): Promise<Tensor> {
    const input = checkTensor('input', data, shape);
    const unit = this.unitIndex(options.unit ?? this.k);
    const target = options.targetClass === undefined ? -1 : integerIn('targetClass', options.targetClass, 0, this.numClasses - 1);
    return this.track(() => this.net.gradCam(input, unit, target));
  }

  /**
   * Activations of the given units (k or names) for every image of a native store, keyed by k: per image the
   * channel means, plus `spatialSamples` random positions per image as extra rows when set (SVCCA).
   */
  async features(store: NativeStore, pipeline: NativePipelineOptions, units: Cutoff[], options: { batchSize: number; spatialSamples?: number }): Promise<Map<number, Tensor>> {
    const indices = units.map((u) => this.unitIndex(u));
    const batchSize = integerIn('batchSize', options.batchSize, 1, 1 << 20);
    const spatial = integerIn('spatialSamples', options.spatialSamples ?? 0, 0, 1 << 16);
    const result = await this.track(() => this.net.features(store, pipeline, indices, batchSize, spatial));
    return new Map(Object.entries(result).map(([index, tensor]) => [Model.unitK(index), tensor]));
  }

  /** The input rank after the batch: [C, H, W], or [C, D, H, W] for 3D networks. */
  get inputRank(): number {
    return spatialDims(this.card) + 1;
  }

  /**
   * Parameters and MACs (ptflops conventions) per kept unit and in total, for one input of `inputShape`. With
   * `numClasses`, each unit also reports the TTL head (pool + linear to that many classes, after a BatchNorm
   * + ReLU where the unit's output is un-normalised) that a model cut after it would get.
   */
  async complexity(inputShape: number[], options: { numClasses?: number; /** @deprecated since 0.2.0, removed in 0.3.0: use `numClasses` */ headClasses?: number } = {}): Promise<NativeComplexity> {
    this.checkInputShape(inputShape);
    const classes = renamed<number>(options, 'complexity options', 'numClasses', 'headClasses');
    const headClasses = classes === undefined ? 0 : integerIn('numClasses', classes, 1, 100000);
    return this.track(() => this.net.complexity(inputShape, headClasses));
  }

  private checkInputShape(inputShape: number[]): void {
    const rank = this.inputRank;
    if (!Array.isArray(inputShape) || inputShape.length !== rank || !inputShape.every((d) => Number.isInteger(d) && d > 0))
      throw invalidParameterError('inputShape', `an array ${rank === 4 ? '[C, D, H, W]' : '[C, H, W]'} of positive integers`, inputShape);
  }

  /**
   * Loads a .safetensors file or a torch.save'd .pth/.pt state dict; strict unless allowMissing. A ttl-torch checkpoint
   * of this network must hold its head as well (another checkpoint's head is replaced by this model's new one).
   */
  async loadWeights(path: string, options: LoadWeightsOptions = {}): Promise<LoadReport> {
    if (typeof path !== 'string' || !existsSync(path)) throw new TtlError('E_NO_FILE', `weights file not found: ${String(path)}`);
    const layout = oneOf('keyLayout', renamed<string>(options, 'loadWeights options', 'keyLayout', 'layout') ?? '', KEY_LAYOUTS);
    const native = { allowMissing: options.allowMissing ?? false, layout, prefix: options.prefix ?? '', requireHead: false };
    if (!path.endsWith('.safetensors')) {
      // A .pth's tensors are matched to this network by name and shape before any data is inflated, and only
      // those it takes are read; the report is the match's (what was dropped or skipped is never read).
      const pth = await openPth(path);
      const plan = await this.track(() => this.net.planState(pth.tensors.map(({ name, shape }) => ({ name, shape })), native));
      const tensors = checkTensors(await pth.read(plan.keys), path);
      await this.track(() => this.net.loadState(tensors, native));
      return { ...plan.report, path, checkpoint: undefined };
    }
    const file = await readSafetensorsAsync(path);
    const tensors = checkTensors([...file.tensors.values()], path);
    const checkpoint = describeMetadata(path, file.metadata);
    if (checkpoint && !options.allowMismatch && !options.prefix) this.checkIdentity(path, checkpoint);
    // A checkpoint of this very network carries its trained head: a missing head tensor must not load as random.
    native.requireHead = checkpoint !== undefined && !options.allowMismatch && !options.prefix;
    // The native side copies from these arrays on the compute thread; this frame keeps them alive meanwhile.
    const report = await this.track(() => this.net.loadState(tensors, native));
    return { ...report, path, checkpoint };
  }

  // A checkpoint of another cutoff or class count used to load "OK" with its head silently left random. What the
  // native loader already refuses with a per-tensor report (another input channel count) is left to it.
  private checkIdentity(path: string, c: CheckpointInfo): void {
    const differs = (field: string, saved: unknown, here: unknown) => {
      throw new TtlError('E_WEIGHTS_MISMATCH', `${path}: the checkpoint has ${field} ${String(saved)} but this model has ${field} ${String(here)}` +
        ' (allowMismatch loads it anyway)');
    };
    if (c.model !== this.card.name) differs('model', c.model, this.card.name);
    if (c.k !== this.k) differs('cutoff k', c.k, this.k);
    if (c.head && c.head !== this.head) differs('head', c.head, this.head);
    if (c.head !== 'none' && c.numClasses !== this.numClasses) differs('numClasses', c.numClasses, this.numClasses);
    if (c.format === 2 && c.slimAfter !== this.slimAfter) differs('slimAfter', c.slimAfter, this.slimAfter);
    if ((c.task === 'multilabel') !== this.multiLabel) differs('multiLabel', c.task === 'multilabel', this.multiLabel);
  }

  /**
   * Writes all parameters and buffers as safetensors (atomically). The metadata records the model's identity
   * and whatever `describe` adds (task, classes, input pipeline, storage, config hash): see CheckpointInfo.
   */
  async saveWeights(path: string, describe: Partial<Omit<CheckpointInfo, 'format'>> = {}): Promise<void> {
    const state = await this.track(() => this.net.state());
    // A sigmoid network's task is part of its identity: recorded even when the caller describes nothing.
    const task = this.multiLabel ? { task: 'multilabel' as const } : {};
    writeSafetensors(path, state, checkpointMetadata({
      ...describe, ...task, model: this.card.name, k: this.k, slimAfter: this.slimAfter, head: this.head, numClasses: this.numClasses, inChannels: this.inChannels,
    }));
  }

  /** Parameters and buffers by name (float32 as raw little-endian bytes; num_batches_tracked as I64). */
  async state(): Promise<Map<string, { dtype: string; shape: number[]; data: Uint8Array }>> {
    const entries = await this.track(() => this.net.state());
    return new Map(entries.map((e) => [e.name, e]));
  }

  /**
   * Freezes units 1..count for the following trainStep calls (their parameters get no gradient and their batch
   * norms keep their statistics); later units and the head train. freeze(0) unfreezes. The count is the only
   * record of freezing: trainStep turns it into per-unit learning-rate scales (0 = frozen) for the native
   * trainer, which rebuilds its optimiser only when that configuration changes.
   */
  async freeze(count: number): Promise<void> {
    this.frozenUnits = integerIn('count', count, 0, this.k);
  }

  /**
   * One SGD step on a batch; returns the loss before the step. Classification: cross-entropy with one label per
   * sample. Segmentation (head 'unet'): cross-entropy + soft Dice with `labels` holding the masks, [N, ...spatial] flat.
   * Multi-label: binary cross-entropy with `labels` holding 0/1 per sample and label, [N, numClasses] flat.
   */
  async trainStep(data: Float32Array, shape: number[], labels: Int32Array, options: TrainStepOptions): Promise<number> {
    const input = checkTensor('input', data, shape);
    if (!(labels instanceof Int32Array)) throw invalidParameterError('labels', 'an Int32Array', labels);
    // One target per sample, or per pixel/voxel of the input for a segmentation network: the shape is stated here, never guessed.
    const targetShape = this.head === 'unet' ? [shape[0], ...shape.slice(2)] : this.multiLabel ? [shape[0], this.numClasses] : [shape[0]];
    const what = this.head === 'unet' ? 'a mask of the input\'s batch and spatial shape' : this.multiLabel ? '0 or 1 per sample and label' : 'one label per sample';
    if (numel(targetShape) !== labels.length) throw invalidParameterError('labels', `${numel(targetShape)} values (${what})`, labels);
    if (!isObject(options)) throw invalidParameterError('options', 'an object', options);
    const optim = optimOptions({
      lr: numberIn('options.lr', options.lr, 0, 10),
      momentum: numberIn('options.momentum', options.momentum ?? 0.9, 0, 1),
      weightDecay: numberIn('options.weightDecay', options.weightDecay ?? 0, 0, 1),
      nesterov: options.nesterov ?? false,
      clipGradNorm: numberIn('options.clipGradNorm', options.clipGradNorm ?? 0, 0, 1e6),
      autocast: trainingAutocast('options.autocast', options.autocast),
      unitLrScale: this.units.map((_, i) => (i < this.frozenUnits ? 0 : 1)),
    });
    if (JSON.stringify(optim) !== this.trainingKey) await this.configureTraining(optim);
    return this.track(() => this.net.trainStep(input, { data: labels, shape: targetShape }));
  }

  /** Median inference latency (ms) of one [C, H, W] sample after `warmup` untimed passes (default 20 / 30 runs). */
  async latency(inputShape: number[], options: { warmup?: number; runs?: number } = {}): Promise<{ medianMs: number; times: number[] }> {
    const warmup = integerIn('warmup', options.warmup ?? 20, 0, 10000);
    const runs = integerIn('runs', options.runs ?? 30, 1, 100000);
    const times = [...(await this.track(() => this.net.latency(inputShape, warmup, runs)))];
    return { medianMs: median(times), times };
  }

  /**
   * Serves this model for inference: forward() without `units`, predictions and latency() then run a private
   * copy with every batch norm that follows a convolution folded into it, without autograd state, on oneDNN
   * tensors where LibTorch has them; each choice is kept only if it reproduces the model's own eval output
   * to 1e-4 relative. The copy is rebuilt after the weights change. With `inputShape` ([C, H, W] or
   * [C, D, H, W]) the copy is built now and described; otherwise it is built from the first input.
   */
  async optimizeForInference(inputShape?: number[]): Promise<InferenceCopyInfo | undefined> {
    if (inputShape !== undefined) this.checkInputShape(inputShape);
    return this.track(() => this.net.optimizeForInference(inputShape));
  }

  /**
   * Serves this model in int8 (ResNet v1 classifiers, on the CPU): forward() without `units`, predictions and
   * latency() then run a post-training statically quantized copy of the folded serving copy: per-channel
   * symmetric int8 weights, per-tensor uint8 activations whose ranges are the min/max seen on every image of
   * `calibration` fed through `pipeline` (the evaluation pipeline, as predictions are). Other families are
   * refused (E_INT8_UNSUPPORTED). The copy is not rebuilt after a weight change: predictions are then refused
   * until this is called again (optimizeForInference() returns to the float serving copy).
   */
  async quantizeForInference(
    calibration: NativeStore | NativeStore[], pipeline: NativePipelineOptions, options: { batchSize?: number; engine?: QuantizedEngine } = {},
  ): Promise<Int8CopyInfo> {
    const stores = Array.isArray(calibration) ? calibration : [calibration];
    if (!stores.length) throw invalidParameterError('calibration', 'a native store or a non-empty array of them', calibration);
    const batchSize = integerIn('batchSize', options.batchSize ?? 32, 1, 4096);
    const engine = oneOf('engine', options.engine ?? 'auto', QUANTIZED_ENGINES);
    checkInt8Supported(this.card, this.head, this.device);
    return this.track(() => this.net.quantizeForInference(stores, pipeline, batchSize, engine === 'auto' ? '' : engine));
  }

  /** The optimiser's parameter groups (learning rate and parameter names) of the configured training. */
  async trainingGroups(): Promise<{ lr: number; params: string[] }[]> {
    return this.track(() => this.net.trainingGroups());
  }

  // The training engine's calls (src/train): a configured trainer, an epoch over a native store, evaluation,
  // the in-memory best-weights snapshot and cancellation.

  /** @internal Sets the optimiser, its schedule and the per-unit learning rates (0 freezes) for training. */
  async configureTraining(optim: NativeOptimOptions): Promise<void> {
    await this.track(() => this.net.configureTraining(optim));
    this.trainingKey = JSON.stringify(optim);
  }

  /** @internal One epoch over a native store with the configured training; `onBatch` reports each batch. */
  trainEpoch(
    store: NativeStore, pipeline: NativePipelineOptions, options: NativeEpochOptions,
    onBatch?: (event: { batch: number; batches: number; loss: number }) => void,
  ): Promise<NativeEpochStats> {
    return this.track(() => this.net.trainEpoch(store, pipeline, options, onBatch));
  }

  /** @internal Class probabilities for every image of a native store: [N, C], or [N, C, ...spatial] when segmenting. */
  predictStore(store: NativeStore, pipeline: NativePipelineOptions, batchSize: number): Promise<Tensor> {
    return this.track(() => this.net.predict(store, pipeline, batchSize));
  }

  /** @internal The network's input for every sample of a native store, as predictStore() would feed it. */
  preprocessStore(store: NativeStore, pipeline: NativePipelineOptions, batchSize: number): Promise<Tensor> {
    return this.track(() => this.net.preprocess(store, pipeline, batchSize));
  }

  /**
   * @internal Either task's validation pass over a native store (labels, or masks for head 'unet'): see
   * NativeModel.evaluate. The cross-entropy is weighted with the configured training's class weights.
   */
  evaluateStore(store: NativeStore, pipeline: NativePipelineOptions, batchSize: number): Promise<NativeEvaluation> {
    return this.track(() => this.net.evaluate(store, pipeline, batchSize));
  }

  /** @internal Keeps a copy of the weights in memory (the best epoch so far). */
  snapshot(): Promise<void> {
    return this.track(() => this.net.snapshot());
  }

  /** @internal Puts the snapshot's weights back. */
  restore(): Promise<void> {
    return this.track(() => this.net.restore());
  }

  /**
   * @internal Joins (or with null leaves) a c10d process group: training steps then average their gradients over
   * its ranks and evaluation splits its rows between them (see makeDataParallel).
   */
  setGroup(group: NativeDistGroup | null, options?: NativeDataParallelOptions): Promise<void> {
    return this.track(() => this.net.setGroup(group, options));
  }

  /** @internal Replaces every rank's weights and buffers with rank `root`'s. */
  broadcastState(root: number): Promise<void> {
    return this.track(() => this.net.broadcastState(root));
  }

  /** @internal Sets (default) or clears the sticky flag that stops the next native batch with E_CANCELLED. */
  cancel(value = true): void {
    this.nativeModel?.cancel(value);
  }

  /** Waits for the calls running or queued on this model to settle, then frees it; idempotent. */
  async close(): Promise<void> {
    while (this.inFlight > 0) await new Promise<void>((wake) => this.idleWaiters.push(wake));
    this.dispose();
  }

  /** Frees the native network; refused (E_BUSY) while calls on it are running: `close()` waits for them. */
  dispose(): void {
    if (!this.nativeModel) return;
    try {
      this.nativeModel.dispose();
    } catch (e) {
      throw fromNative(e, new Error());
    }
    this.nativeModel = undefined;
  }
}

function checkOptions(options: CreateModelOptions) {
  if (!isObject(options)) throw invalidParameterError('options', 'an object', options);
  const name = renamed<string>(options, 'createModel options', 'model', 'name');
  if (typeof name !== 'string') throw invalidParameterError('model', 'a registered model name (see listModels())', name);
  const card = getModelCard(name);
  const k = options.cutoff === undefined ? card.units.length : resolveCutoff(card, options.cutoff);
  const plain = options.cutoff === undefined && options.numClasses === undefined && options.slimAfter === undefined;
  const head = oneOf('head', options.head ?? (plain ? 'original' : 'linear'), HEAD_KINDS);
  if (head === 'original' && k < card.units.length)
    throw new TtlError('E_BAD_ARGUMENT', `head 'original' needs the full network; a truncated ${card.name} takes head 'linear' or 'none'`);
  const defaultClasses = head === 'original' ? (card.weights.imagenet?.classes ?? 1000) : 2;
  const numClasses = integerIn('numClasses', options.numClasses ?? defaultClasses, head === 'unet' ? 2 : 1, head === 'unet' ? 255 : 100000);
  const dropout = numberIn('dropout', options.dropout ?? 0, 0, 0.99);
  const zeroInit = oneOf('headInit', options.headInit ?? 'random', ['random', 'zero'] as const) === 'zero';
  const inChannels = integerIn('inChannels', options.inChannels ?? card.input.channels, 1, 64);
  const device = deviceOf('device', options.device ?? 'auto');
  const seed = integerIn('seed', options.seed ?? 0, 0, 2 ** 31 - 1);
  const threads = options.threads === undefined ? 0 : integerIn('threads', options.threads, 1, 1024);
  const memoryFormat = oneOf('memoryFormat', options.memoryFormat ?? 'auto', MEMORY_FORMATS);
  const multiLabel = booleanOf('multiLabel', options.multiLabel ?? false);
  if (multiLabel && head !== 'linear' && head !== 'original')
    throw new TtlError('E_BAD_ARGUMENT', `multiLabel needs a classification head ('linear' or 'original'), not '${head}'`);
  return { card, k, head, numClasses, multiLabel, dropout, zeroInit, inChannels, device, seed, threads, memoryFormat };
}

/** The options that rebuild the network a ttl-torch checkpoint describes, with its weights loaded from `path`. */
export function checkpointModel(info: CheckpointInfo, path: string): CreateModelOptions {
  return {
    model: info.model, cutoff: info.k, slimAfter: info.slimAfter > 0 ? info.slimAfter : undefined, head: info.head,
    numClasses: info.numClasses, multiLabel: info.task === 'multilabel', inChannels: info.inChannels, weights: path,
  };
}

/** Builds a model by name, optionally truncated after unit k, and loads weights (by card name or path). */
export async function createModel(options: CreateModelOptions): Promise<Model> {
  const { card, k, head, numClasses, multiLabel, dropout, zeroInit, inChannels, device, seed, threads, memoryFormat } = checkOptions(options);
  const slimAfter = options.slimAfter === undefined ? -1 : resolveCutoff(card, options.slimAfter);
  const spec = { family: card.family, ...card.arch, keepUnits: k, slimAfter, inChannels, head: { kind: head, numClasses, dropout, zeroInit, multiLabel } };
  if (options.signal?.aborted) throw new TtlError('E_CANCELLED', 'createModel was cancelled');
  await loadNative();
  const net = await call(() => native().createModel(spec, { device, seed, threads, memoryFormat }));
  const model = new Model(card, k, head, numClasses, net, slimAfter, inChannels, multiLabel);
  try {
    if (options.weights !== undefined) await loadNamedOrPath(model, options.weights, options);
    if (options.signal?.aborted) throw new TtlError('E_CANCELLED', 'createModel was cancelled');
  } catch (e) {
    await model.close();
    throw e;
  }
  return model;
}

async function loadNamedOrPath(model: Model, weights: string, options: CreateModelOptions): Promise<LoadReport> {
  if (typeof weights !== 'string') throw invalidParameterError('weights', "a weights name (e.g. 'imagenet') or a file path", weights);
  if (weights in model.card.weights) {
    const resolved = await resolveWeights(model.card.name, weights, { ...options.resolve, signal: options.signal ?? options.resolve?.signal });
    const report = await model.loadWeights(resolved.path, {
      allowMissing: options.allowMissing ?? false,
      keyLayout: resolved.file.layout,
    });
    model.loadReport = report;
    return report;
  }
  const report = await model.loadWeights(weights, { allowMissing: options.allowMissing, allowMismatch: options.allowMismatch });
  model.loadReport = report;
  return report;
}

/** Native optimiser options with defaults filled in. */
export function optimOptions(o: Partial<NativeOptimOptions> & { lr: number }): NativeOptimOptions {
  return {
    optimizer: TRAINING_DEFAULTS.optimizer, momentum: TRAINING_DEFAULTS.momentum, nesterov: TRAINING_DEFAULTS.nesterov, weightDecay: 0, unitLrScale: [], headLrScale: 1, frozenBnEval: true,
    epochs: 1, warmupSteps: 0, schedule: 'cosine', lrEnd: 0, stepsPerEpoch: 1, classWeights: [], posWeight: [], autocast: '', clipGradNorm: 0, ...o,
  };
}
