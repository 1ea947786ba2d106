// loadPredictor(path, { engine: 'onnxruntime' }): the predictor's network exported to ONNX in memory and run by
// onnxruntime-node (an optional peer dependency), fed by ttl-torch's own native pipeline, so inputs are
// preprocessed exactly as with LibTorch. It is faster than the serving copy on ResNet-50 cuts at batch 1; the
// numbers are in bench/results/latency.json (npm run bench -- latency; docs/export.md).
import { TtlError } from '../errors.js';
import type { Model } from '../model.js';
import type { CheckpointInfo } from '../weights/checkpoint.js';
import type { Tensor } from '../nn/tensor.js';
import { onnxModel } from './onnx.js';

export interface OnnxEngine {
  /** Class probabilities [N, classes] (U-Net: [N, classes, spatial...]) for a preprocessed batch [N, C, spatial...]. */
  probabilities(input: Tensor): Promise<Tensor>;
  close(): Promise<void>;
}

export async function onnxEngine(model: Model, info: CheckpointInfo, threads?: number): Promise<OnnxEngine> {
  let ort: typeof import('onnxruntime-node');
  try {
    ort = await import('onnxruntime-node');
  } catch (e) {
    throw new TtlError('E_BAD_ARGUMENT', `engine 'onnxruntime' needs the onnxruntime-node package (npm install onnxruntime-node): ${(e as Error).message}`);
  }
  const { bytes } = await onnxModel(model, info, { foldBatchNorm: true });
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], interOpNumThreads: 1, ...(threads ? { intraOpNumThreads: threads } : {}) });
  return {
    async probabilities(input) {
      const out = await session.run({ image: new ort.Tensor('float32', input.data, input.shape) });
      return { data: out.probabilities.data as Float32Array, shape: out.probabilities.dims as number[] };
    },
    close: () => session.release(),
  };
}
