// Every registered model: the native builder's unit metadata equals its card, and each unit's real
// output has the declared channels and reduction.
import { describe, expect, it } from 'vitest';
import { createModel, getModelCard, listModels, runtimeInfo } from '../../src/index.js';
import { registerModel } from '../../src/models.js';

const SIZE = 64;
const FRAMES = 8;
/** [C, (D,) H, W] of a test input for a card. */
const sampleShape = (name: string) => (getModelCard(name).input.frames ? [3, FRAMES, SIZE, SIZE] : [3, SIZE, SIZE]);

describe('model registry', () => {
  it('lists the registered backbones', () => {
    expect(listModels()).toEqual(
      ['densenet121', 'densenet169', 'densenet201', 'efficientnet_b0', 'efficientnet_b1', 'efficientnet_b2', 'efficientnet_b3', 'efficientnet_b4',
        'efficientnet_v2_s', 'penet', 'r3d_18', 'resnet101', 'resnet152', 'resnet18', 'resnet34', 'resnet3d_18', 'resnet3d_34', 'resnet3d_50',
        'resnet50', 'resnet50_v2', 'resnext3d_101', 'resnext50_32x4d', 'squeezenet1_1', 'wide_resnet50_2'],
    );
    expect(listModels('resnet5*')).toEqual(['resnet50', 'resnet50_v2']);
  });

  it('refuses a duplicate registration', () => {
    expect(() => registerModel(getModelCard('resnet18'))).toThrow(/already registered/);
  });

  it('ResNet-50 has 17 units with blocks ending at 4, 8, 14, 17', () => {
    const card = getModelCard('resnet50');
    expect(card.units).toHaveLength(17);
    expect(card.blocks).toEqual([4, 8, 14, 17]);
  });

  it.each(listModels())('%s: units, channels and reductions match real output shapes', async (name) => {
    const card = getModelCard(name);
    const model = await createModel({ model: name, head: 'none', device: 'cpu' });
    const units = model.units;
    expect(units.map((u) => u.name)).toEqual(card.units);
    // block ends in the card are where the native builder's block number changes
    const ends = units.filter((u, i) => i === units.length - 1 || units[i + 1].block !== u.block).map((u) => u.k);
    expect(ends.filter((k) => k > 1)).toEqual(card.blocks.filter((k) => k > 1));

    const shape = sampleShape(name);
    const input = new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(0.5);
    const result = await model.forward(input, [1, ...shape], { units: units.map((u) => u.k) });
    for (const unit of units) {
      const shape = result.units[unit.name].shape;
      expect(shape[1], unit.name).toBe(unit.outChannels);
      // ceil-mode pooling (SqueezeNet) rounds up, so allow the reduction to be met from above
      expect(Math.ceil(SIZE / unit.reduction) - shape.at(-1)!, unit.name).toBeLessThanOrEqual(1);
    }
    const c = await model.complexity(shape);
    expect(c.units).toHaveLength(card.units.length);
    expect(c.units.every((u, i) => i === 0 || (u.params >= c.units[i - 1].params && u.macs > c.units[i - 1].macs))).toBe(true);
    // without a head every parameter belongs to a unit (the ownership rule the trainer and loader share)
    expect(c.units.at(-1)!.params).toBe(c.params);
    model.dispose();
  });

  it.each(listModels())('%s: truncation keeps exactly units 1..k', async (name) => {
    const card = getModelCard(name);
    const k = card.blocks[1];
    const model = await createModel({ model: name, cutoff: k, numClasses: 3, device: 'cpu' });
    expect(model.units.map((u) => u.name)).toEqual(card.units.slice(0, k));
    const state = await model.state();
    const dropped = card.units.slice(k).filter((u) => [...state.keys()].some((key) => key.includes(`${u}.`)));
    expect(dropped).toEqual([]);
    const shape = sampleShape(name);
    const { output } = await model.forward(new Float32Array(2 * shape.reduce((a, b) => a * b, 1)), [2, ...shape]);
    expect(output.shape).toEqual([2, 3]);
    model.dispose();
  });

  it.each(listModels())('%s: a U-Net head on the encoder cut after block 2 gives logits per pixel/voxel of the input size', async (name) => {
    const card = getModelCard(name);
    const model = await createModel({ model: name, cutoff: 'block2', head: 'unet', numClasses: 3, device: 'cpu' });
    const shape = sampleShape(name);
    const { output } = await model.forward(new Float32Array(2 * shape.reduce((a, b) => a * b, 1)).fill(0.3), [2, ...shape]);
    expect(output.shape).toEqual([2, 3, ...shape.slice(1)]);
    expect(output.data.every(Number.isFinite)).toBe(true);
    const c = await model.complexity(shape);
    expect(c.headMacs).toBeGreaterThan(0);
    expect(model.units).toHaveLength(card.blocks[1]);
    model.dispose();
  });
});

describe('architecture families: one list, in the native builder', () => {
  it('every card names a family the addon builds, and every family the addon builds has a card', async () => {
    const { families } = await runtimeInfo();
    expect(families.length).toBeGreaterThan(0);
    const used = new Set(listModels().map((name) => getModelCard(name).family));
    expect([...used].filter((f) => !families.includes(f))).toEqual([]);
    expect(families.filter((f) => !used.has(f))).toEqual([]);
  });

  it('TransFusion on EfficientNet is refused with a coded error saying why; ResNeXt and DenseNet-169 take it', async () => {
    await expect(createModel({ model: 'efficientnet_b0', cutoff: 10, slimAfter: 6, numClasses: 2, device: 'cpu' })).rejects.toMatchObject({
      code: 'E_BAD_ARCH', message: expect.stringContaining('efficientnet has no TransFusion (TF) rebuild'),
    });
    for (const [model, k, after] of [['resnext50_32x4d', 17, 8], ['densenet169', 40, 21]] as const) {
      const net = await createModel({ model, cutoff: k, slimAfter: after, numClasses: 2, device: 'cpu' });
      const out = await net.forward(new Float32Array(2 * 3 * 64 * 64).fill(0.5), [2, 3, 64, 64]);
      expect(out.output.shape).toEqual([2, 2]);
      net.dispose();
    }
  });

  it('a card with another family is refused by createModel, naming the families', async () => {
    registerModel({ ...getModelCard('resnet18'), name: 'family-test-vit', family: 'vit' });
    await expect(createModel({ model: 'family-test-vit', device: 'cpu' })).rejects.toMatchObject({
      code: 'E_UNKNOWN_MODEL', message: expect.stringContaining("unknown architecture family 'vit' (expected resnet, "),
    });
  });
});
