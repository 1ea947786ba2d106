// The addon's typed surface: what the compiled binding (binding/*.cc) takes and returns. Typed once here and
// kept internal: the public API (Model, Predictor, KeyStore, ...) wraps it. loader.ts loads the addon itself.
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

export interface NativeLoadOptions {
  allowMissing: boolean;
  layout: string;
  prefix: string;
  requireHead: boolean;
}

export interface NativeLoadReport {
  loaded: string[];
  missing: string[];
  unexpected: string[];
  dropped: string[];
  headSkipped: string[];
  /** Head tensors the checkpoint lacks (an ImageNet checkpoint has another head; left as initialised). */
  headMissing: string[];
  randomUnits: string[];
  reinitialised: string[];
}

export interface NativeComplexity {
  /** Cumulative over units 1..k; headParams/headMacs: the TTL head after unit k when asked for (else 0). */
  units: { params: number; macs: number; outShape: number[]; headParams: number; headMacs: number }[];
  params: number;
  trainableParams: number;
  macs: number;
  headParams: number;
  headMacs: number;
}

export interface NativeArchSpec {
  family: string;
  block?: string;
  variant?: string;
  normEps?: number;
  layers?: number[];
  growthRate?: number;
  numInitFeatures?: number;
  bnSize?: number;
  cardinality?: number;
  widthPerGroup?: number;
  keepUnits: number;
  slimAfter: number;
  inChannels: number;
  head: { kind: 'original' | 'linear' | 'none' | 'unet'; numClasses: number; dropout: number; zeroInit: boolean; multiLabel: boolean };
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
  /** Multi-label networks: the BCE's weight of each label's positives (empty: 1 each). */
  posWeight: number[];
  autocast: '' | 'bf16' | 'fp16';
  /** Rescale the gradients when their global L2 norm exceeds this; 0 never does. */
  clipGradNorm: number;
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

export interface NativeEvaluation {
  scores: { data: Float64Array; shape: number[] };
  loss: { data: Float64Array; shape: number[] };
}

export type LastBatch = 'keep' | 'even' | 'drop';

export interface NativeEpochOptions {
  batchSize: number;
  seed: number;
  epoch: number;
  /** The samples that do not fill a last batch: a ragged batch, near-equal batches, or dropped (TrainingOptions.lastBatch). */
  lastBatch: LastBatch;
}

export interface NativeEpochStats {
  loss: number;
  batches: number;
  samples: number;
  lr: number;
}

export interface InferenceCopyInfo {
  /**
   * 'fused': ResNet v1 on LibTorch 2.x, convolutions with their ReLU and residual sum in one oneDNN kernel;
   * 'onednn': units on oneDNN tensors; 'dense': ordinary tensors; 'plain': nothing folded.
   */
  layout: 'fused' | 'onednn' | 'dense' | 'plain';
  /** Batch norms folded into the convolution before them. */
  foldedNorms: number;
}

export interface Int8CopyInfo {
  /** The LibTorch quantized engine whose kernels run it: 'onednn', 'x86', 'fbgemm' or 'qnnpack'. */
  engine: string;
  /** Convolutions running in int8 (every one of the kept units). */
  convolutions: number;
  /** Images whose activations set the quantization ranges. */
  calibrationImages: number;
  /**
   * Blocks whose residual sum and ReLU run inside their last convolution's kernel (oneDNN on LibTorch 2.x); 0
   * where the engine has no such kernel and the sums run as a separate add+ReLU.
   */
  fusedSums: number;
}

export interface NativeModel {
  units(): NativeUnit[];
  device(): string;
  forward(input: NativeTensor, capture: number[]): Promise<{ output: NativeTensor; captured: Record<string, NativeTensor> }>;
  complexity(inputShape: number[], headClasses: number): Promise<NativeComplexity>;
  /** The entries' data is copied on the compute thread: keep them alive and unchanged until the promise settles. */
  loadState(entries: NativeStateEntry[], options: NativeLoadOptions): Promise<NativeLoadReport>;
  /** What loadState would do with tensors of these names and shapes (nothing allocated), and the keys it would copy. */
  planState(entries: { name: string; shape: number[] }[], options: NativeLoadOptions): Promise<{ report: NativeLoadReport; keys: string[] }>;
  state(): Promise<NativeStateEntry[]>;
  configureTraining(options: NativeOptimOptions): Promise<void>;
  /** labels: [N] class labels, [N, ...spatial] masks for a segmentation network, [N, L] 0/1 for a multi-label one. */
  trainStep(input: NativeTensor, labels: { data: Int32Array; shape: number[] }): Promise<number>;
  trainEpoch(
    store: NativeStore,
    pipeline: NativePipelineOptions,
    options: NativeEpochOptions,
    onBatch?: (event: { batch: number; batches: number; loss: number }) => void,
  ): Promise<NativeEpochStats>;
  predict(store: NativeStore, pipeline: NativePipelineOptions, batchSize: number): Promise<NativeTensor>;
  /** The eval pipeline's output for the whole store, [N, C, spatial...]: what predict() feeds the network. */
  preprocess(store: NativeStore, pipeline: NativePipelineOptions, batchSize: number): Promise<NativeTensor>;
  /**
   * Either task's validation pass: `scores` are [N, C] class probabilities, or per image [Dice, Jaccard] for a
   * segmentation network, or [N, L] per-label sigmoid probabilities for a multi-label one; `loss` is [N, 2] per
   * sample (class-weighted cross-entropy, summed class weights; multi-label: BCE summed over the labels, L).
   */
  evaluate(store: NativeStore, pipeline: NativePipelineOptions, batchSize: number): Promise<NativeEvaluation>;
  snapshot(): Promise<void>;
  restore(): Promise<void>;
  /** Sets (default) or clears the sticky cancel flag checked before every training and evaluation batch. */
  cancel(value?: boolean): void;
  /** Calls on this model not yet settled (running or queued). */
  pending(): number;
  latency(inputShape: number[], warmup: number, runs: number): Promise<Float64Array>;
  /** Serves forward/predict/latency from a folded inference copy; with a shape, builds it now and describes it. */
  optimizeForInference(inputShape?: number[]): Promise<InferenceCopyInfo | undefined>;
  /** Serves forward/predict/latency from an int8 copy calibrated on every image of the stores ('' engine: the preferred). */
  quantizeForInference(calibration: NativeStore[], pipeline: NativePipelineOptions, batchSize: number, engine: string): Promise<Int8CopyInfo>;
  features(store: NativeStore, pipeline: NativePipelineOptions, units: number[], batchSize: number, spatialSamples: number): Promise<Record<string, NativeTensor>>;
  gradCam(input: NativeTensor, unit: number, targetClass: number): Promise<NativeTensor>;
  trainingGroups(): Promise<{ lr: number; params: string[] }[]>;
  /** Data-parallel: average gradients over the group's ranks after every backward (null: stop). */
  setGroup(group: NativeDistGroup | null, options?: NativeDataParallelOptions): Promise<void>;
  /** Copies rank `root`'s parameters and buffers into this rank's (needs a group). */
  broadcastState(root: number): Promise<void>;
  dispose(): void;
}

/** How a model trains over its group (every field always sent). */
export interface NativeDataParallelOptions {
  /** Batch norms in training mode normalise with the statistics of all ranks' rows (SyncBatchNorm). */
  syncBatchNorm: boolean;
  /** Gradient buckets are all-reduced while backward runs (from gradient accumulator hooks), not after it. */
  overlap: boolean;
}

/** A c10d TCPStore client (or the server, on rank 0); blocking calls run on libuv's pool. */
export interface NativeDistStore {
  /** Resolves with the address actually served or reached ("host:port"). */
  connect(options: { host: string; port: number; isServer: boolean; timeoutMs: number }): Promise<string>;
  set(key: string, value: Uint8Array): Promise<void>;
  get(key: string): Promise<Uint8Array>;
  add(key: string, delta: number): Promise<number>;
  check(keys: string[]): Promise<boolean>;
  /** False when the keys did not all appear within timeoutMs. */
  wait(keys: string[], timeoutMs: number): Promise<boolean>;
  delete(key: string): Promise<boolean>;
  port(): number;
  close(): void;
}

export interface NativeDistGroup {
  join(store: NativeDistStore, options: { name: string; rank: number; worldSize: number; backend: 'gloo' | 'nccl'; hostname: string; timeoutMs: number }): Promise<void>;
  barrier(): Promise<void>;
}

export interface NativeRuntimeInfo {
  libtorch: string;
  /** Built against a CUDA LibTorch: its CUDA paths are compiled in, whether or not a GPU is present. */
  cudaCompiled: boolean;
  cudaAvailable: boolean;
  cudaDevices: number;
  /** The compute thread's intra-op threads now. */
  threads: number;
  /** True unless a fixed count was set: threads then follows the cores other processes leave free. */
  adaptiveThreads: boolean;
  /** Cores other processes kept busy when the adaptive count was last measured. */
  othersBusyCores: number;
  flushDenormal: boolean;
  parallelInfo: string;
  /** LibTorch's deterministic algorithms are on (setDeterministic). */
  deterministic: boolean;
  /** The vector ISA ATen's CPU kernels dispatch to: DEFAULT, AVX2, AVX512, ... */
  cpuCapability: string;
  /** The architecture families a model card may name (cpp/core/arch.cpp, the one list). */
  families: string[];
  /** LibTorch's quantized CPU engines (int8 serving): some of 'x86', 'fbgemm', 'onednn', 'qnnpack'. */
  quantizedEngines: string[];
}

/** The cores this process may use: its affinity mask, capped by its cgroup's CPU quota (rounded to the nearest core). */
export interface NativeCpuLimit {
  cores: number;
  affinity: number;
  /** The tightest cgroup quota (v1 cfs_quota/period or v2 cpu.max) in cores; 0: none. */
  quota: number;
  /** The file that quota came from ('' without one). */
  quotaFile: string;
}

export interface Binding {
  info(): Promise<NativeRuntimeInfo>;
  setThreads(threads: number): void;
  setDeterministic(on: boolean): void;
  /** Lets the compute thread's task in flight finish and starts no other (the process is exiting). */
  stopComputeThread(): void;
  cpuLimit(): NativeCpuLimit;
  /** RuntimeInfo.cpuFeatures (cpp/core/cpu_features.h); synchronous: the loader checks the ISA caps with it. */
  cpuFeatures(): string[];
  /** The batches an epoch of `samples` trains (cpp/engine/trainer.h plan_epoch, the one statement of the rule). */
  batchesPerEpoch(samples: number, batchSize: number, lastBatch: LastBatch, ranks: number): number;
  /** Threads for the cores other processes leave free, measured over half a second on the compute thread. */
  freeThreads(): Promise<number>;
  /** threads: intra-op threads for this model's tasks (0 or absent: the process-wide setting). */
  createModel(spec: NativeArchSpec, options: { device: string; seed: number; threads?: number; memoryFormat: string }): Promise<NativeModel>;
  cca(x: { data: Float64Array; shape: number[] }, y: { data: Float64Array; shape: number[] }, epsilon: number): Promise<{ data: Float64Array; shape: number[] }>;
  svdReduce(x: { data: Float64Array; shape: number[] }, keepFraction: number): Promise<{ data: Float64Array; shape: number[] }>;
  fitProbe(trainX: NativeTensor, trainY: Int32Array, applyX: NativeTensor, numClasses: number, l2: number, iterations: number): Promise<{ trainProbs: NativeTensor; applyProbs: NativeTensor }>;
  DistStore: new () => NativeDistStore;
  DistGroup: new () => NativeDistGroup;
  distributedSupport(): { gloo: boolean; nccl: boolean };
  Store: new (
    /** The images, copied once; or where they lie in a decoded-image cache file, mapped instead of copied. */
    images: Uint8Array | Uint16Array | { file: string; offset: number; bits: 8 | 16 }, shape: number[], labels: Int32Array, color: boolean, masks?: { data: Uint8Array; shape: number[] },
    /** Multi-label: 0/1 per image and label, [N, L]. */
    targets?: { data: Float32Array; shape: number[] },
  ) => NativeStore;
}
