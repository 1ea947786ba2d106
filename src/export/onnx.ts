// exportOnnx(): a ttl-torch network (any cutoff, strategy result and classification head, in eval mode) as an
// ONNX model that onnxruntime, TensorRT, OpenVINO or a browser can run without ttl-torch. The input is `image`
// [batch, C, height, width] already preprocessed; the metadata says how (size, channels, mean, std, classes), so a
// consumer needs nothing of ours to feed it correctly.
import { statSync } from 'node:fs';
import { readCheckpointInfo, ttlTorchVersion, type CheckpointInfo } from '../weights/checkpoint.js';
import { TtlError } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { checkpointModel, createModel, type Model } from '../model.js';
import { OPSET, OnnxGraph, type FloatTensor } from './onnx-graph.js';
import { emitNetwork } from './onnx-networks.js';
import { toFloat32 } from '../weights/safetensors.js';

export interface ExportOnnxOptions {
  /** Fold each batch norm into the convolution (or head) before it (default true); false keeps BatchNormalization nodes. */
  foldBatchNorm?: boolean;
}

export interface ExportOnnxResult {
  path: string;
  bytes: number;
  opset: number;
  /** What the file's metadata_props say. */
  metadata: Record<string, string>;
}

/** The model's float32 parameters and buffers by name (num_batches_tracked, I64, is not part of the forward). */
async function floatTensors(model: Model): Promise<Map<string, FloatTensor>> {
  const out = new Map<string, FloatTensor>();
  for (const [name, t] of await model.state())
    if (t.dtype === 'F32') out.set(name, { data: toFloat32({ name, ...t }), shape: t.shape });
  return out;
}

function metadataOf(model: Model, info?: CheckpointInfo): Record<string, string> {
  const meta: Record<string, string> = {
    model: model.card.name, k: String(model.k), head: model.head, numClasses: String(model.numClasses), ttlTorch: ttlTorchVersion(),
  };
  // The task says what `probabilities` are (a sigmoid per label for 'multilabel'); a model without a checkpoint
  // knows only whether it is multi-label.
  const task = info?.task ?? (model.multiLabel ? 'multilabel' : undefined);
  if (task) meta.task = task;
  if (!info) return meta;
  const json = (key: string, v: unknown) => v !== undefined && (meta[key] = JSON.stringify(v));
  json('classes', info.classes);
  json('input', info.input);
  json('storage', info.storage);
  json('intensityWindow', info.intensityWindow);
  if (info.configHash) meta.configHash = info.configHash;
  if (info.ttlTorch) meta.trainedWith = info.ttlTorch;
  return meta;
}

/** The ONNX file of `model` in memory, and the metadata it carries (from `info` where the model came from a checkpoint). */
export async function onnxModel(model: Model, info: CheckpointInfo | undefined, options: { foldBatchNorm: boolean }): Promise<{ bytes: Uint8Array; metadata: Record<string, string> }> {
  const g = new OnnxGraph();
  emitNetwork(g, { card: model.card, k: model.k, head: model.head, numClasses: model.numClasses, multiLabel: model.multiLabel, tensors: await floatTensors(model), units: model.units }, options);
  const metadata = metadataOf(model, info);
  return { bytes: g.encode(ttlTorchVersion(), metadata), metadata };
}

/**
 * Writes `source` (a Model, or the path of a ttl-torch checkpoint, whose description then goes into the file's
 * metadata) to `path` as ONNX (opset 17, dynamic batch and spatial size, float32), atomically. A network the
 * exporter cannot write is E_EXPORT_UNSUPPORTED naming it.
 */
export async function exportOnnx(source: Model | string, path: string, options: ExportOnnxOptions = {}): Promise<ExportOnnxResult> {
  if (typeof path !== 'string' || !path) throw new TtlError('E_BAD_ARGUMENT', `Expected an output path for exportOnnx but received ${String(path)}`);
  const foldBatchNorm = options.foldBatchNorm ?? true;
  let model: Model;
  let info: CheckpointInfo | undefined;
  if (typeof source === 'string') {
    info = readCheckpointInfo(source);
    if (!info) throw new TtlError('E_BAD_WEIGHTS', `${source}: not a ttl-torch checkpoint (its metadata does not say which network it is)`);
    model = await createModel({ ...checkpointModel(info, source), device: 'cpu' });
  } else {
    model = source;
  }
  try {
    const { bytes, metadata } = await onnxModel(model, info, { foldBatchNorm });
    writeFileAtomic(path, [bytes]);
    return { path, bytes: statSync(path).size, opset: OPSET, metadata };
  } finally {
    if (typeof source === 'string') await model.close();
  }
}
