// loadPredictor(): a trained network rebuilt from what its checkpoint says about itself, fed through the same
// decoding and native pipeline (resize, channels, normalisation) as training and evaluation.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PREPROCESSING_VERSION, readCheckpointInfo, type CheckpointInfo } from './weights/checkpoint.js';
import { decodeImage, isDicom } from './data/decode.js';
import { looksLikeDicom, readDicomHeader } from './data/dicom/index.js';
import { decodeVolume } from './data/volume.js';
import { TtlError, invalidParameterError } from './errors.js';
import { callSync } from './native/call.js';
import { checkpointModel, createModel, type Device, type Model } from './model.js';
import { native } from './native/loader.js';
import type { Int8CopyInfo, NativePipelineOptions, NativeStore } from './native/binding.js';
import { checkInt8Supported } from './int8.js';
import { getModelCard, normalisation } from './registry.js';
import { deviceOf, integerIn, isObject, oneOf } from './validate.js';
import { onnxEngine, type OnnxEngine } from './export/onnx-engine.js';
import { checkAborted } from './train/loop.js';

export interface PredictorOptions {
  device?: Device;
  /**
   * LibTorch intra-op threads for this predictor's work: applied for each of its tasks on the shared compute
   * thread and restored after, so it does not change training's threads. Default: the process-wide setting.
   */
  threads?: number;
  /** Aborts loading (E_CANCELLED). */
  signal?: AbortSignal;
  /**
   * Coalesce predict() calls issued together (same event-loop turn) into one native call of up to `maxBatch`
   * inputs: fewer, larger forwards for a busy service. Off by default.
   */
  microBatch?: { maxBatch?: number };
  /**
   * What runs the network: 'libtorch' (default: the serving copy, optimizeForInference) or 'onnxruntime' (the
   * network exported to ONNX in memory and run by onnxruntime-node, which must be installed; classification and
   * segmentation). Both are fed by the same native pipeline and give the same probabilities to 1e-4.
   */
  engine?: PredictorEngine;
  /**
   * 'fp32' (default) or 'int8': the serving copy quantized after training (ResNet v1 classifiers on the CPU,
   * engine 'libtorch'; others are refused with E_INT8_UNSUPPORTED): per-channel int8 weights, uint8 activations
   * whose ranges are set by `calibration`. See docs/serving.md for its speed and accuracy on this CPU.
   */
  precision?: PredictorPrecision;
  /**
   * precision 'int8': inputs like predictBatch()'s (a few hundred training images) run through the float serving
   * copy to record every activation's range.
   */
  calibration?: PredictInput[];
}

export const PREDICTOR_ENGINES = ['libtorch', 'onnxruntime'] as const;
export type PredictorEngine = (typeof PREDICTOR_ENGINES)[number];
export const PREDICTOR_PRECISIONS = ['fp32', 'int8'] as const;
export type PredictorPrecision = (typeof PREDICTOR_PRECISIONS)[number];

interface Queued {
  pixels: PixelInput;
  resolve: (p: AnyPrediction) => void;
  reject: (e: unknown) => void;
  signal?: AbortSignal;
}

/** Raw pixels: [H, W] gray, [H, W, 3] colour or [D, H, W] volume, 8 or 16 bits per sample. */
export interface PixelInput {
  data: Uint8Array | Uint16Array;
  shape: number[];
}

/** A file path (PNG/JPEG/DICOM image; NIfTI file or DICOM series folder for 3D), the bytes of a PNG/JPEG/DICOM file, or raw pixels. */
export type PredictInput = string | Buffer | PixelInput;

export interface Prediction {
  /** Class probabilities (softmax). */
  probabilities: Float32Array;
  label: number;
  className: string;
}

/** A multi-label checkpoint's prediction: one sigmoid per label, independent of the others. */
export interface MultiLabelPrediction {
  /** Probability of each label (in the order of the predictor's `classes`). */
  probabilities: Float32Array;
  /** The labels whose probability is at least 0.5. */
  findings: string[];
}

export interface SegmentationPrediction {
  /** Class index per pixel/voxel at the network's input resolution. */
  mask: Uint8Array;
  shape: number[];
}

export interface PredictBatchOptions {
  /** Images per native call; an abort is honoured between calls. Default 16. */
  batchSize?: number;
  signal?: AbortSignal;
}

/** What predict() returns for the checkpoint's task. */
export type AnyPrediction = Prediction | MultiLabelPrediction | SegmentationPrediction;

const isPixels = (v: unknown): v is PixelInput =>
  isObject(v) && (v.data instanceof Uint8Array || v.data instanceof Uint16Array) && !Buffer.isBuffer(v) && Array.isArray(v.shape);

/** Inputs that one native store can hold together: the same shape and sample type. */
const storeKey = (p: PixelInput) => `${p.shape.join()}:${p.data.constructor.name}`;

export class Predictor {
  readonly info: CheckpointInfo;
  readonly classes: string[];
  /** The native pipeline every input goes through: the one training and evaluation used. */
  readonly pipeline: NativePipelineOptions;
  /** Native calls made and inputs predicted so far (micro-batching shows as inputs > calls). */
  readonly stats = { calls: 0, inputs: 0 };
  /** precision 'int8': the quantized engine used, the convolutions in int8 and the calibration images. */
  int8: Int8CopyInfo | undefined;
  private model: Model | undefined;
  private readonly maxBatch: number;
  private queue: Queued[] = [];
  private flushing = false;

  /** @internal use loadPredictor() */
  /** engine 'onnxruntime': runs the network; the model then only preprocesses. */
  private onnx: OnnxEngine | undefined;

  constructor(info: CheckpointInfo, model: Model, pipeline: NativePipelineOptions, maxBatch = 0, onnx?: OnnxEngine) {
    this.info = info;
    this.model = model;
    this.pipeline = pipeline;
    this.maxBatch = maxBatch;
    this.onnx = onnx;
    this.classes = info.classes ?? Array.from({ length: info.numClasses }, (_, i) => String(i));
  }

  private get live(): Model {
    if (!this.model) throw new TtlError('E_DISPOSED', 'the predictor was closed');
    return this.model;
  }

  private get volumetric(): boolean {
    return this.info.storage ? this.info.storage.kind === 'volume' : Boolean(getModelCard(this.info.model).input.frames);
  }

  get task(): NonNullable<CheckpointInfo['task']> {
    return this.info.task ?? (this.info.head === 'unet' ? 'segmentation' : 'classification');
  }

  async predict(input: PredictInput, options: { signal?: AbortSignal } = {}): Promise<AnyPrediction> {
    if (!this.maxBatch) return (await this.predictBatch([input], { signal: options.signal }))[0];
    checkAborted(options.signal, 'prediction');
    const pixels = await this.pixelsOrFrames(input, 'input');
    if (Array.isArray(pixels)) return this.averageFrames(pixels);
    return new Promise((resolve, reject) => {
      this.queue.push({ pixels, resolve, reject, signal: options.signal });
      if (!this.flushing) {
        this.flushing = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  // Runs the queued calls, `maxBatch` equally shaped inputs per native call, until the queue is empty.
  private async flush(): Promise<void> {
    while (this.queue.length) {
      const live = this.queue.filter((q) => {
        if (!q.signal?.aborted) return true;
        q.reject(new TtlError('E_CANCELLED', 'prediction was cancelled'));
        return false;
      });
      const first = live[0];
      if (!first) {
        this.queue = [];
        break;
      }
      const group = live.filter((q) => storeKey(q.pixels) === storeKey(first.pixels)).slice(0, this.maxBatch);
      this.queue = live.filter((q) => !group.includes(q));
      try {
        const results = await this.run(group.map((q) => q.pixels));
        group.forEach((q, i) => q.resolve(results[i]));
      } catch (e) {
        for (const q of group) q.reject(e);
      }
    }
    this.flushing = false;
  }

  async predictBatch(inputs: PredictInput[], options: PredictBatchOptions = {}): Promise<(AnyPrediction)[]> {
    if (!Array.isArray(inputs)) throw invalidParameterError('inputs', 'an array of paths, Buffers or {data, shape} pixels', inputs);
    const batchSize = integerIn('batchSize', options.batchSize ?? 16, 1, 4096);
    const out: (AnyPrediction)[] = [];
    for (let start = 0; start < inputs.length; start += batchSize) {
      checkAborted(options.signal, 'prediction');
      const pixels = await Promise.all(inputs.slice(start, start + batchSize).map((input, i) => this.pixelsOrFrames(input, `inputs[${start + i}]`)));
      // One native store per run of equally shaped inputs (a store holds one shape); a file's frames on their own.
      for (let i = 0; i < pixels.length; ) {
        const first = pixels[i];
        if (Array.isArray(first)) {
          out.push(await this.averageFrames(first));
          i++;
          continue;
        }
        let j = i + 1;
        while (j < pixels.length && !Array.isArray(pixels[j]) && storeKey(pixels[j] as PixelInput) === storeKey(first)) j++;
        out.push(...(await this.run(pixels.slice(i, j) as PixelInput[])));
        i = j;
      }
    }
    checkAborted(options.signal, 'prediction');
    return out;
  }

  /** One native store of equally shaped inputs (storeKey). */
  private storeOf(group: PixelInput[]): NativeStore {
    const n = group.length;
    const per = group[0].data.length;
    const images = group[0].data instanceof Uint16Array ? new Uint16Array(n * per) : new Uint8Array(n * per);
    group.forEach((p, i) => images.set(p.data, i * per));
    const color = !this.volumetric && group[0].shape.length === 3;
    return callSync(() => new (native().Store)(images, [n, ...group[0].shape], new Int32Array(n), color));
  }

  /** @internal loadPredictor's precision 'int8': decodes the calibration inputs as predictions are, then quantizes. */
  async quantize(calibration: PredictInput[]): Promise<void> {
    const groups = new Map<string, PixelInput[]>();
    for (const [i, input] of calibration.entries()) for (const pixels of [await this.pixelsOrFrames(input, `calibration[${i}]`)].flat()) {
      const group = groups.get(storeKey(pixels));
      if (group) group.push(pixels);
      else groups.set(storeKey(pixels), [pixels]);
    }
    this.int8 = await this.live.quantizeForInference([...groups.values()].map((g) => this.storeOf(g)), this.pipeline);
  }

  private async run(group: PixelInput[]): Promise<(AnyPrediction)[]> {
    const n = group.length;
    const store = this.storeOf(group);
    this.stats.calls++;
    this.stats.inputs += n;
    const probs = this.onnx
      ? await this.onnx.probabilities(await this.live.preprocessStore(store, this.pipeline, n))
      : await this.live.predictStore(store, this.pipeline, n);
    const c = probs.shape[1];
    if (this.task === 'segmentation') {
      const spatial = probs.shape.slice(2);
      const size = spatial.reduce((a, b) => a * b, 1);
      return Array.from({ length: n }, (_, i) => {
        const mask = new Uint8Array(size);
        const base = i * c * size;
        for (let v = 0; v < size; v++) {
          let best = 0;
          for (let k = 1; k < c; k++) if (probs.data[base + k * size + v] > probs.data[base + best * size + v]) best = k;
          mask[v] = best;
        }
        return { mask, shape: spatial };
      });
    }
    return Array.from({ length: n }, (_, i) => this.answer(probs.data.slice(i * c, (i + 1) * c)));
  }

  /** A classification or multi-label prediction from its probabilities. */
  private answer(probabilities: Float32Array): Prediction | MultiLabelPrediction {
    if (this.task === 'multilabel') return { probabilities, findings: this.classes.filter((_, k) => probabilities[k] >= 0.5) };
    let label = 0;
    for (let k = 1; k < probabilities.length; k++) if (probabilities[k] > probabilities[label]) label = k;
    return { probabilities, label, className: this.classes[label] };
  }

  /** The 'all' frame policy's answer for a multi-frame file: its frames' probabilities averaged. */
  private async averageFrames(frames: PixelInput[]): Promise<AnyPrediction> {
    const mean = new Float32Array(this.classes.length);
    for (let start = 0; start < frames.length; start += 16)
      for (const p of await this.run(frames.slice(start, start + 16)))
        (p as Prediction).probabilities.forEach((v, k) => (mean[k] += v / frames.length));
    return this.answer(mean);
  }

  /**
   * An input as the stored form training used; under the 'all' frame policy a multi-frame DICOM input is its
   * frames, each decoded as training decoded it.
   */
  private async pixelsOrFrames(input: PredictInput, name: string): Promise<PixelInput | PixelInput[]> {
    if (this.info.dicom?.frame !== 'all' || isPixels(input) || this.task === 'segmentation') return this.pixelsOf(input, name);
    const dicom = typeof input === 'string' ? isDicom(input) : looksLikeDicom(input);
    const frames = dicom ? readDicomHeader(input).frames : 1;
    if (frames === 1) return this.pixelsOf(input, name);
    return Promise.all(Array.from({ length: frames }, (_, frame) => this.pixelsOf(input, name, frame)));
  }

  /** Brings an input to the stored form training used (decoded size, channels, depth). */
  private async pixelsOf(input: PredictInput, name: string, frame?: number): Promise<PixelInput> {
    const storage = this.info.storage;
    // Checkpoints from before self-description do not say how images were stored: raw pixels then may be
    // gray or colour (the native pipeline replicates gray channels either way).
    const kind = storage?.kind ?? (this.volumetric ? 'volume' : isPixels(input) ? (input.shape.length === 3 ? 'rgb' : 'gray') : this.pipeline.channels === 3 ? 'rgb' : 'gray');
    if (isPixels(input)) {
      const rank = kind === 'rgb' ? 3 : kind === 'volume' ? 3 : 2;
      const gray = kind === 'gray' && input.shape.length === 3 && input.shape[2] === 1;
      const shape = gray ? input.shape.slice(0, 2) : input.shape;
      if (shape.length !== rank || !shape.every((d) => Number.isInteger(d) && d > 0) || (kind === 'rgb' && shape[2] !== 3))
        throw invalidParameterError(`${name}.shape`, kind === 'rgb' ? '[H, W, 3]' : kind === 'volume' ? '[D, H, W]' : '[H, W]', input.shape);
      if (shape.reduce((a, b) => a * b, 1) !== input.data.length)
        throw invalidParameterError(`${name}.data`, `${shape.join(' x ')} samples`, input.data);
      return { data: input.data, shape };
    }
    if (kind === 'volume') {
      if (typeof input !== 'string')
        throw invalidParameterError(name, 'a NIfTI file or DICOM series folder path, or {data, shape: [D, H, W]} voxels', input);
      // Decoded as the training dataset was: the stored shape, then the recorded window and spacing.
      const [d, h, w] = storage?.shape ?? [this.pipeline.size, this.pipeline.size, this.pipeline.size];
      return { data: decodeVolume(input, [w, h, d], this.info.volume ?? { intensity: 'minmax' }, name), shape: [d, h, w] };
    }
    if (typeof input !== 'string' && !Buffer.isBuffer(input))
      throw invalidParameterError(name, 'a file path, a Buffer of PNG/JPEG/DICOM bytes, or {data, shape} pixels', input);
    const size = storage?.shape[0] ?? this.pipeline.size;
    const channels = kind === 'rgb' ? 3 : 1;
    const sixteen = (storage?.depth ?? 8) === 16;
    const dicom = frame === undefined ? this.info.dicom : { ...this.info.dicom, frame };
    if (typeof input === 'string') {
      const d = await decodeImage(input, size, channels, sixteen, dicom);
      return { data: d.data, shape: channels === 3 ? [size, size, 3] : [size, size] };
    }
    // Bytes go through the file decoder too, so a Buffer and its file give the same pixels.
    const dir = mkdtempSync(join(tmpdir(), 'ttl-predict-'));
    const path = join(dir, 'input');  // DICOM or not, the decoder tells by content
    try {
      writeFileSync(path, input);
      const d = await decodeImage(path, size, channels, sixteen, dicom);
      return { data: d.data, shape: channels === 3 ? [size, size, 3] : [size, size] };
    } catch (e) {
      if (e instanceof TtlError) throw new TtlError(e.code, e.message.replace(path, name), { cause: e });
      throw e;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  /**
   * One untimed prediction on a blank input of the stored shape, so that the first real request does not pay
   * for allocator and kernel set-up.
   */
  async warmup(): Promise<void> {
    const storage = this.info.storage;
    const shape = storage?.shape ?? (this.pipeline.channels === 3 ? [this.pipeline.size, this.pipeline.size, 3] : [this.pipeline.size, this.pipeline.size]);
    const n = shape.reduce((a, b) => a * b, 1);
    await this.predict({ data: storage?.depth === 16 ? new Uint16Array(n) : new Uint8Array(n), shape });
  }

  /** Waits for predictions in flight, then frees the network. */
  async close(): Promise<void> {
    const model = this.model;
    const onnx = this.onnx;
    this.model = undefined;
    this.onnx = undefined;
    await model?.close();
    await onnx?.close();
  }
}

/**
 * Loads a checkpoint saved by finetune()/trainSegmentation()/`ttl-torch run` into the exact network it was
 * saved from (model, cutoff, slimAfter, head, class count; strictly: every tensor must match), with the
 * input pipeline recorded in it. Checkpoints from before self-description (no input metadata) get the
 * model card's size and normalisation.
 */
export async function loadPredictor(checkpoint: string, options: PredictorOptions = {}): Promise<Predictor> {
  if (typeof checkpoint !== 'string' || !checkpoint.endsWith('.safetensors'))
    throw invalidParameterError('checkpoint', 'a path to a .safetensors checkpoint', checkpoint);
  if (!isObject(options as unknown)) throw invalidParameterError('options', 'an object', options);
  const device = deviceOf('device', options.device ?? 'auto');
  const threads = options.threads === undefined ? undefined : integerIn('threads', options.threads, 1, 1024);
  if (options.microBatch !== undefined && !isObject(options.microBatch)) throw invalidParameterError('microBatch', 'an object { maxBatch }', options.microBatch);
  const maxBatch = options.microBatch === undefined ? 0 : integerIn('microBatch.maxBatch', options.microBatch.maxBatch ?? 16, 1, 4096);
  const engine = oneOf('engine', options.engine ?? 'libtorch', PREDICTOR_ENGINES);
  const precision = oneOf('precision', options.precision ?? 'fp32', PREDICTOR_PRECISIONS);
  const calibration = options.calibration;
  if (precision === 'fp32' && calibration !== undefined)
    throw invalidParameterError('calibration', "no calibration with precision 'fp32' (it sets int8 ranges)", calibration);
  if (precision === 'int8') {
    if (!Array.isArray(calibration) || !calibration.length)
      throw invalidParameterError('calibration', "a non-empty array of inputs (paths, Buffers or {data, shape} pixels) for precision 'int8'", calibration);
    if (engine !== 'libtorch') throw invalidParameterError('engine', "'libtorch' for precision 'int8'", engine);
  }
  if (!existsSync(checkpoint)) throw new TtlError('E_NO_FILE', `checkpoint not found: ${checkpoint}`);
  const info = readCheckpointInfo(checkpoint);
  if (!info) throw new TtlError('E_BAD_WEIGHTS', `${checkpoint}: not a ttl-torch checkpoint (no model/k metadata); use createModel({ weights }) instead`);
  if ((info.preprocessing ?? 1) > PREPROCESSING_VERSION)
    throw new TtlError('E_BAD_WEIGHTS', `${checkpoint}: preprocessing version ${info.preprocessing} is newer than this ttl-torch's (${PREPROCESSING_VERSION}); upgrade ttl-torch`);
  const card = getModelCard(info.model);
  const described = checkpointModel(info, checkpoint);
  // LibTorch's quantized kernels run on the CPU: there 'auto' means the CPU.
  const served = precision === 'int8' && device === 'auto' ? 'cpu' : device;
  if (precision === 'int8') checkInt8Supported(card, described.head ?? 'original', served);
  const model = await createModel({ ...described, device: served, signal: options.signal, threads });
  const input = info.input;
  const pipeline: NativePipelineOptions = {
    size: input?.size ?? card.input.size, channels: input?.channels ?? card.input.channels,
    mean: input?.mean ?? normalisation(card).mean, std: input?.std ?? normalisation(card).std,
    ...(input?.shape ? { shape: input.shape } : {}),
  };
  let onnx: OnnxEngine | undefined;
  try {
    if (engine === 'onnxruntime') onnx = await onnxEngine(model, info, threads);
    const predictor = new Predictor(info, model, pipeline, maxBatch, onnx);
    if (precision === 'int8') await predictor.quantize(calibration!);
    else if (engine === 'libtorch') await model.optimizeForInference();
    return predictor;
  } catch (e) {
    await model.close();
    throw e;
  }
}
