// The serving copy (optimizeForInference): batch norms folded into the convolutions before them, oneDNN
// where LibTorch has it; outputs equal to the model's own eval output to 1e-4 relative, on real weights.
import { describe, expect, it } from 'vitest';
import { createModel, runtimeInfo, type Model } from '../../src/index.js';
import { fixture, relativeError, sharedWeights } from '../support/helpers.js';

const shape = [2, 3, 96, 80];
const input = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * 0.37) * 1.5);

// The unfolded eval output: capturing a unit keeps forward() on the model itself.
const plainOutput = async (model: Model) => (await model.forward(input, shape, { units: [1] })).output;

// The layouts a network may get: oneDNN needs a build with it and ops it has kernels for.
async function expectServedEqual(model: Model, foldedNorms: number, layouts = ['onednn', 'dense']) {
  const expected = await plainOutput(model);
  const info = await model.optimizeForInference(shape.slice(1));
  expect(info?.foldedNorms).toBe(foldedNorms);
  expect(layouts).toContain(info?.layout);
  const served = (await model.forward(input, shape)).output;
  expect(served.shape).toEqual(expected.shape);
  expect(relativeError(served.data, expected.data)).toBeLessThan(1e-4);
  // A changed output would show that the copy is really what forward() ran.
  expect(served.data).not.toEqual(expected.data);
  return info;
}

describe('serving copy', () => {
  // ResNet-50 v1.5 and ResNet-18 (torchvision weights with randomised running statistics): every convolution but
  // none of the residual sums feeds a norm: stem 1 + 3 (bottleneck) or 2 (basic block) per block + 1 per
  // projection shortcut. ResNet-18's first blocks have identity shortcuts: the sum is written into the block's input.
  it.each([
    ['resnet50', 17, 1 + 16 * 3 + 4],
    ['resnet50', 14, 1 + 13 * 3 + 3],
    ['resnet50', 12, 1 + 11 * 3 + 3],
    ['resnet18', 5, 1 + 4 * 2 + 1],
  ])('%s cut at k=%i folds %i norms and keeps its outputs', async (name, k, folded) => {
    const model = await createModel({ model: name, cutoff: k, numClasses: 3, device: 'cpu' });
    await model.loadWeights(fixture(`parity-${name}.safetensors`), { prefix: 'weights.' });
    // On oneDNN, ReLUs and residual sums run in place (LibTorch 1.13), or fused into the convolutions and written
    // into the shortcut's tensor (2.x): a wrong alias would fail the copy's own check and fall back to a plainer
    // layout, so the layout is pinned here. The copy is built for one image and checked on a batch of two.
    const info = await runtimeInfo();
    const onednn = /MKL-DNN|oneDNN/.test(info.parallelInfo);
    const fused = Number(info.libtorch.split('.')[0]) >= 2;
    await expectServedEqual(model, folded, [!onednn ? 'dense' : fused ? 'fused' : 'onednn']);
    model.dispose();
  });

  // Pre-activation ResNet-50 v2 (genuine ImageNet weights): bn_data and each unit's first norm precede a
  // convolution and the head's norm follows a residual sum, so only conv0->bn0 and conv1->bn2, conv2->bn3
  // of every unit fold.
  it.each([[14], [8]])('ResNet-50 v2 cut at k=%i folds only the norms that follow a convolution', async (k) => {
    const model = await createModel({
      model: 'resnet50_v2', cutoff: k, numClasses: 2, weights: sharedWeights('resnet50v2-imagenet-partial.safetensors'), device: 'cpu',
    });
    await expectServedEqual(model, 1 + (k - 1) * 2);
    model.dispose();
  });

  // DenseNet-121: norm1 of each layer and the transitions' norms see concatenations; conv1->norm2 folds.
  // Two training steps give the norms non-trivial running statistics first.
  it('DenseNet-121 folds conv0->norm0 and conv1->norm2 of every dense layer', async () => {
    const model = await createModel({ model: 'densenet121', cutoff: 8, numClasses: 2, device: 'cpu', seed: 3 });
    const batch = [4, 3, 64, 64];
    const x = Float32Array.from({ length: batch.reduce((a, b) => a * b, 1) }, (_, i) => Math.cos(i * 0.11));
    for (let i = 0; i < 2; i++) await model.trainStep(x, batch, Int32Array.from([0, 1, 0, 1]), { lr: 0.01 });
    await expectServedEqual(model, 1 + 6);
    model.dispose();
  });

  // Issue #38's families, after two training steps: ResNeXt-50's grouped 3x3 convolutions fold like any other
  // (stem + 3 per block + the projections of layer1.0 and layer2.0); EfficientNet-B0's every Conv2dNormActivation
  // folds (stem, features.1.0's depthwise and projection, 3 per expanding block), its squeeze-excitation and SiLU
  // stay. 64 classes: with 2, all four logits of the copy equalled the model's to the last bit under SSE4.1 kernels,
  // and the check that the copy ran could not tell.
  it.each([
    ['resnext50_32x4d', 8, 1 + 7 * 3 + 2],
    ['efficientnet_b0', 9, 1 + 2 + 7 * 3],
  ])('%s cut at k=%i folds %i norms and keeps its outputs', async (name, k, folded) => {
    const model = await createModel({ model: name, cutoff: k, numClasses: 64, device: 'cpu', seed: 3 });
    const batch = [4, 3, 64, 64];
    const x = Float32Array.from({ length: batch.reduce((a, b) => a * b, 1) }, (_, i) => Math.cos(i * 0.11));
    for (let i = 0; i < 2; i++) await model.trainStep(x, batch, Int32Array.from([0, 1, 2, 3]), { lr: 0.01 });
    await expectServedEqual(model, folded, ['fused', 'onednn', 'dense']);
    model.dispose();
  });

  it('follows weight changes: a training step rebuilds the copy', async () => {
    const model = await createModel({ model: 'resnet18', cutoff: 5, numClasses: 2, device: 'cpu' });
    await model.loadWeights(fixture('parity-resnet18.safetensors'), { prefix: 'weights.' });
    await model.optimizeForInference([3, 96, 80]);
    const before = (await model.forward(input, shape)).output;
    await model.trainStep(input, shape, Int32Array.from([0, 1]), { lr: 0.1 });
    const after = (await model.forward(input, shape)).output;
    expect(after.data).not.toEqual(before.data);
    expect(relativeError(after.data, (await plainOutput(model)).data)).toBeLessThan(1e-4);
    model.dispose();
  });

  it('names the expected input shape', async () => {
    const model = await createModel({ model: 'resnet18', cutoff: 3, numClasses: 2, device: 'cpu' });
    await expect(model.optimizeForInference([3, 64])).rejects.toThrow('Expected an array [C, H, W] of positive integers for inputShape');
    model.dispose();
  });
});
