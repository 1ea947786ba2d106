// ONNX export checked by a real runtime: onnxruntime-node runs each exported network, and its outputs equal
// ttl-torch's own eval outputs to 1e-4 relative, with batch norms folded and kept, at three cutoffs including
// k = n (not for ResNeXt3D-101, 190 MB), 2D and 3D, with ImageNet weights where ../shared has them; the U-Net
// segmentation head on 2D and 3D encoders likewise, logits and mask. A family the exporter cannot write is
// refused by name.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import protobuf from 'protobufjs';
import { afterAll, describe, expect, it } from 'vitest';
import { createModel, exportOnnx, getModelCard, type CreateModelOptions, type ModelCard } from '../../src/index.js';
import { OnnxGraph } from '../../src/export/onnx-graph.js';
import { emitNetwork } from '../../src/export/onnx-networks.js';
import { expectMaskOf, relativeError, root, sharedWeights } from '../support/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'ttl-onnx-'));
afterAll(() => rmSync(dir, { recursive: true, force: true })); // 2.5 GB of networks
const cli = join(root, 'dist', 'cli', 'main.js');
const size = 64; // 48 px left DenseNet-121 1x1 maps: after one step on 2 images its eval batch norms overflowed (NaN) on LibTorch 2.15
const shape = [2, 3, size, size];
const input = Float32Array.from({ length: 2 * 3 * size * size }, (_, i) => Math.sin(i * 0.37));
const volumeShape = [2, 3, 16, 64, 64];
const volume = Float32Array.from({ length: 2 * 3 * 16 * 64 * 64 }, (_, i) => Math.sin(i * 0.23));

async function onnxOutputs(path: string, x = input, dims = shape) {
  const session = await ort.InferenceSession.create(path);
  return session.run({ image: new ort.Tensor('float32', x, dims) });
}

const cases: [string, CreateModelOptions][] = [
  ...[3, 5, 9].map((k): [string, CreateModelOptions] => [`squeezenet1_1 ImageNet k=${k}`, { model: 'squeezenet1_1', cutoff: k, numClasses: 3, weights: sharedWeights('squeezenet1_1-imagenet.safetensors'), allowMissing: true }]),
  ['squeezenet1_1 ImageNet, its own 1000-class head', { model: 'squeezenet1_1', weights: sharedWeights('squeezenet1_1-imagenet.safetensors') }],
  ...[3, 6, 9].map((k): [string, CreateModelOptions] => [`resnet18 k=${k}`, { model: 'resnet18', cutoff: k, numClasses: 3 }]),
  ...[4, 8, 17].map((k): [string, CreateModelOptions] => [`resnet50 k=${k}`, { model: 'resnet50', cutoff: k, numClasses: 2 }]),
  ['resnet34 k=17, TF (units after 8 at half width)', { model: 'resnet34', cutoff: 17, slimAfter: 8, numClasses: 2 }],
  ...[4, 8, 17].map((k): [string, CreateModelOptions] => [`resnet50_v2 ImageNet (partial) k=${k}`, { model: 'resnet50_v2', cutoff: k, numClasses: 2, weights: sharedWeights('resnet50v2-imagenet-partial.safetensors'), allowMissing: true }]),
  ...[8, 21, 63].map((k): [string, CreateModelOptions] => [`densenet121 k=${k}`, { model: 'densenet121', cutoff: k, numClasses: 2 }]),
  ...[3, 5, 9].map((k): [string, CreateModelOptions] => [`r3d_18 k=${k}`, { model: 'r3d_18', cutoff: k, numClasses: 2 }]),
  ...[3, 6, 9].map((k): [string, CreateModelOptions] => [`resnet3d_18 k=${k}`, { model: 'resnet3d_18', cutoff: k, numClasses: 2 }]),
  ...[4, 8, 17].map((k): [string, CreateModelOptions] => [`resnet3d_50 k=${k}`, { model: 'resnet3d_50', cutoff: k, numClasses: 2 }]),
  ...[4, 8].map((k): [string, CreateModelOptions] => [`resnext3d_101 k=${k}`, { model: 'resnext3d_101', cutoff: k, numClasses: 2 }]),
  ...[3, 8, 17].map((k): [string, CreateModelOptions] => [`penet k=${k}`, { model: 'penet', cutoff: k, numClasses: 2 }]),
  // Issue #38's families: SiLU as Sigmoid x Mul, squeeze-excitation, fused blocks, BatchNorm eps 1e-3 (V2), grouped
  // and wide bottlenecks.
  ...[2, 9, 18].map((k): [string, CreateModelOptions] => [`efficientnet_b0 k=${k}`, { model: 'efficientnet_b0', cutoff: k, numClasses: 2 }]),
  ['efficientnet_b0, its own 1000-class head', { model: 'efficientnet_b0' }],
  ...[3, 12, 42].map((k): [string, CreateModelOptions] => [`efficientnet_v2_s k=${k}`, { model: 'efficientnet_v2_s', cutoff: k, numClasses: 2 }]),
  ['efficientnet_b3 k=10', { model: 'efficientnet_b3', cutoff: 10, numClasses: 2 }],
  ...[5, 17].map((k): [string, CreateModelOptions] => [`resnext50_32x4d k=${k}`, { model: 'resnext50_32x4d', cutoff: k, numClasses: 2 }]),
  ['wide_resnet50_2 k=6', { model: 'wide_resnet50_2', cutoff: 6, numClasses: 2 }],
  ['densenet201 k=22', { model: 'densenet201', cutoff: 22, numClasses: 2 }],
];

// U-Net: k = 3 joins two block ends, 5 three (resnet18 k=5 ends in layer2), k = n every one; 3D through
// resnet3d_18 and PENet (GroupNorm, trilinear upsampling); DenseNet's and ResNet v2's last units (norm5, bn_final).
const unetCases: [string, CreateModelOptions][] = [
  ...[3, 5, 9].map((k): [string, CreateModelOptions] => [`resnet18 U-Net k=${k}`, { model: 'resnet18', cutoff: k }]),
  ['resnet50_v2 U-Net k=17', { model: 'resnet50_v2', cutoff: 17 }],
  ['densenet121 U-Net k=21', { model: 'densenet121', cutoff: 21 }],
  ...[3, 9].map((k): [string, CreateModelOptions] => [`resnet3d_18 U-Net k=${k}`, { model: 'resnet3d_18', cutoff: k }]),
  ['penet U-Net k=8', { model: 'penet', cutoff: 8 }],
  ['efficientnet_b0 U-Net k=12', { model: 'efficientnet_b0', cutoff: 12 }],
];

describe('ONNX export (onnxruntime-node)', () => {
  it.each(cases)('%s: onnxruntime gives the eval outputs, batch norms folded or kept', async (_label, options) => {
    const model = await createModel({ device: 'cpu', seed: 3, ...options });
    const [x, dims] = model.inputRank === 4 ? [volume, volumeShape] : [input, shape];
    // One training step moves the batch-norm statistics away from their initial values.
    await model.trainStep(x, dims, Int32Array.from([0, 1]), { lr: 0.01 });
    const logits = (await model.forward(x, dims)).output.data;
    for (const foldBatchNorm of [true, false]) {
      const path = join(dir, `${_label.replace(/\W+/g, '_')}-${foldBatchNorm}.onnx`);
      await exportOnnx(model, path, { foldBatchNorm });
      const out = await onnxOutputs(path, x, dims);
      expect(relativeError(out.logits.data as Float32Array, logits), `foldBatchNorm ${foldBatchNorm}`).toBeLessThan(1e-4);
      const probs = out.probabilities.data as Float32Array;
      const classes = logits.length / 2;
      expect(probs.slice(0, classes).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    }
    model.dispose();
  });

  it.each(unetCases)('%s: onnxruntime gives the eval logits and the mask, batch norms folded or kept', async (label, options) => {
    const model = await createModel({ device: 'cpu', seed: 4, head: 'unet', numClasses: 3, ...options });
    const [x, dims] = model.inputRank === 4 ? [volume, volumeShape] : [input, shape];
    const masks = Int32Array.from({ length: dims[0] * dims.slice(2).reduce((a, b) => a * b, 1) }, (_, i) => (i % 7) % 3);
    await model.trainStep(x, dims, masks, { lr: 0.01 });
    const logits = (await model.forward(x, dims)).output.data;
    for (const foldBatchNorm of [true, false]) {
      const path = join(dir, `${label.replace(/\W+/g, '_')}-${foldBatchNorm}.onnx`);
      await exportOnnx(model, path, { foldBatchNorm });
      const out = await onnxOutputs(path, x, dims);
      expect(out.logits.dims).toEqual([dims[0], 3, ...dims.slice(2)]);
      expect(relativeError(out.logits.data as Float32Array, logits), `foldBatchNorm ${foldBatchNorm}`).toBeLessThan(1e-4);
      expect(out.mask.dims).toEqual([dims[0], ...dims.slice(2)]);
      expectMaskOf(out.mask.data as BigInt64Array, logits, dims[0]);
    }
    model.dispose();
  });

  it('the batch and spatial size are free: a batch of 5 at 80 px runs the same file', async () => {
    const model = await createModel({ model: 'resnet18', cutoff: 5, numClasses: 2, device: 'cpu', seed: 1 });
    const path = join(dir, 'dynamic.onnx');
    await exportOnnx(model, path);
    const dims = [5, 3, 80, 80];
    const x = Float32Array.from({ length: 5 * 3 * 80 * 80 }, (_, i) => Math.cos(i * 0.11));
    const out = await onnxOutputs(path, x, dims);
    expect(relativeError(out.logits.data as Float32Array, (await model.forward(x, dims)).output.data)).toBeLessThan(1e-4);
    model.dispose();
  });

  it('a checkpoint exports with its description as metadata (CLI and API), and onnxruntime reproduces it', async () => {
    const model = await createModel({ model: 'squeezenet1_1', cutoff: 5, numClasses: 2, device: 'cpu', seed: 2 });
    const checkpoint = join(dir, 'ckpt.safetensors');
    await model.saveWeights(checkpoint, { task: 'classification', classes: ['benign', 'malignant'], configHash: 'abc123' });
    const out = join(dir, 'cli.onnx');
    const run = spawnSync(process.execPath, [cli, 'export', checkpoint, '-o', out], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/cli\.onnx: squeezenet1_1 k=5, head linear, [\d.]+ MB, opset 17/);
    const modelProto = protobuf.loadSync(join(root, 'vendor', 'onnx', 'onnx.proto')).lookupType('onnx.ModelProto');
    const decoded = modelProto.toObject(modelProto.decode(readFileSync(out))) as { metadataProps: { key: string; value: string }[]; opsetImport: { version: number }[] };
    const meta = Object.fromEntries(decoded.metadataProps.map((p) => [p.key, p.value]));
    expect(meta).toMatchObject({ model: 'squeezenet1_1', k: '5', head: 'linear', numClasses: '2', classes: '["benign","malignant"]', task: 'classification', configHash: 'abc123' });
    expect(Number(decoded.opsetImport[0].version)).toBe(17);
    expect(relativeError((await onnxOutputs(out)).logits.data as Float32Array, (await model.forward(input, shape)).output.data)).toBeLessThan(1e-4);
    model.dispose();
  });

  it('a family the exporter has no emitter for is refused by name', () => {
    // Every registry family is written now; a card of another family (as a future one would be) is refused.
    const card = { ...getModelCard('resnet18'), name: 'vit_b16', family: 'vit' as ModelCard['family'] };
    const source = { card, k: 3, head: 'linear', numClasses: 2, tensors: new Map(), units: [] };
    expect(() => emitNetwork(new OnnxGraph(), source, { foldBatchNorm: true })).toThrow(expect.objectContaining({ code: 'E_EXPORT_UNSUPPORTED', message: expect.stringContaining('vit_b16 (vit)') }));
  });
});
