// `ttl-torch export CHECKPOINT -o model.onnx`: a checkpoint's network as ONNX, with its description as metadata.
import { resolve } from 'node:path';
import { exportOnnx } from '../export/onnx.js';

export async function exportCommand(checkpoint: string, flags: { output: string; keepBatchNorm?: boolean }): Promise<void> {
  const r = await exportOnnx(resolve(checkpoint), resolve(flags.output), { foldBatchNorm: !flags.keepBatchNorm });
  console.log(`${r.path}: ${r.metadata.model} k=${r.metadata.k}, head ${r.metadata.head}, ${(r.bytes / 1e6).toFixed(1)} MB, opset ${r.opset}`);
  console.log('input image [batch, channels, height, width] (preprocessed as the metadata says); outputs logits, probabilities');
}
