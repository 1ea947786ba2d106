// Genuine ImageNet weights from ../shared/weights reproduce reference outputs.
import { describe, expect, it } from 'vitest';
import { createModel } from '../../src/index.js';
import { fixture, floats, gap, loadState, mapState, maxAbsError, readSafetensors, relativeError, shared, sharedWeights, testCacheDir } from '../support/helpers.js';

describe('squeezenet1_1 with real ImageNet weights', () => {
  it('reproduces the reference logits (1e-3 abs) when resolved by name through the mirror', async () => {
    const io = readSafetensors(fixture('squeezenet1_1-imagenet-io.safetensors'));
    const model = await createModel({
      model: 'squeezenet1_1', weights: 'imagenet', device: 'cpu',
      resolve: { mirror: shared, cacheDir: testCacheDir, offline: true },
    });
    expect(model.loadReport?.missing).toEqual([]);
    expect(model.loadReport?.loaded).toHaveLength(52);
    for (const n of [0, 1]) {
      const input = floats(io, `input.${n}`);
      const { output } = await model.forward(input.data, input.shape);
      const expected = floats(io, `expected.output.${n}`).data;
      expect(maxAbsError(output.data, expected)).toBeLessThan(1e-3);
      const top = (a: Float32Array) => a.indexOf(Math.max(...a));
      expect(top(output.data)).toBe(top(expected));
    }
    model.dispose();
  });
});

describe('resnet50_v2 with the partial GluonCV ImageNet weights', () => {
  const file = readSafetensors(fixture('resnet50v2-partial-stages.safetensors'));
  const input = floats(file, 'input');

  it('refuses the partial checkpoint unless allowMissing, naming the missing keys', async () => {
    await expect(
      createModel({ model: 'resnet50_v2', weights: sharedWeights('resnet50v2-imagenet-partial.safetensors'), device: 'cpu' }),
    ).rejects.toMatchObject({ code: 'E_WEIGHTS_MISMATCH' });
  });

  it('reproduces pooled stem and stage 1-3 outputs and the stage-3 map (1e-3 relative)', async () => {
    const model = await createModel({
      model: 'resnet50_v2', weights: 'imagenet', allowMissing: true, device: 'cpu',
      resolve: { mirror: shared, cacheDir: testCacheDir, offline: true },
    });
    // Stage-4 convs 1..9 are missing: exactly units stage4.0..stage4.2 stay random.
    expect(model.loadReport?.randomUnits).toEqual(['stage4.0', 'stage4.1', 'stage4.2']);
    expect(model.loadReport?.unexpected).toEqual([]);
    const ends = { stem: 'stem', stage1: 'stage1.2', stage2: 'stage2.3', stage3: 'stage3.5' };
    const result = await model.forward(input.data, input.shape, { units: Object.values(ends) });
    for (const [stage, unit] of Object.entries(ends)) {
      expect(relativeError(gap(result.units[unit]), floats(file, `expected.gap.${stage}`).data), stage).toBeLessThan(1e-3);
    }
    const map = floats(file, 'expected.map.stage3');
    expect(result.units['stage3.5'].shape).toEqual(map.shape);
    expect(relativeError(result.units['stage3.5'].data, map.data)).toBeLessThan(1e-3);
    model.dispose();
  });

  it('a TTL model cut after stage 3 loads every kept weight, no allowMissing needed', async () => {
    const model = await createModel({
      model: 'resnet50_v2', cutoff: 'block3', numClasses: 2, weights: sharedWeights('resnet50v2-imagenet-partial.safetensors'),
      device: 'cpu',
    });
    expect(model.k).toBe(14);
    expect(model.loadReport?.missing).toEqual([]);
    expect(model.loadReport?.dropped.some((k) => k.startsWith('stage4.'))).toBe(true);
    const result = await model.forward(input.data, input.shape, { units: ['stage3.5'] });
    expect(result.output.shape).toEqual([2, 2]);
    expect(relativeError(gap(result.units['stage3.5']), floats(file, 'expected.gap.stage3').data)).toBeLessThan(1e-3);
    model.dispose();
  });

  it('cut before the final norm, the head normalises what it pools: logits = fc(pool(relu(head_norm(stage 3))))', async () => {
    const model = await createModel({
      model: 'resnet50_v2', cutoff: 'block3', numClasses: 2, weights: sharedWeights('resnet50v2-imagenet-partial.safetensors'), device: 'cpu',
    });
    const state = await model.state();
    expect([...state.keys()].filter((k) => k.startsWith('head_norm.'))).toEqual(
      expect.arrayContaining(['head_norm.weight', 'head_norm.bias', 'head_norm.running_mean', 'head_norm.running_var']),
    );
    expect(state.get('head_norm.weight')?.shape).toEqual([1024]);
    const result = await model.forward(input.data, input.shape, { units: ['stage3.5'] });
    expect(relativeError(result.output.data, normalisedHeadLogits(state, result.units['stage3.5'], true, 'fc'))).toBeLessThan(1e-4);
    model.dispose();
    // The full network already normalises (bn_final), and post-activation networks need nothing.
    for (const [name, cutoff] of [['resnet50_v2', 17], ['resnet18', 5]] as const) {
      const other = await createModel({ model: name, cutoff, numClasses: 2, device: 'cpu' });
      expect([...(await other.state()).keys()].some((k) => k.startsWith('head_norm.')), `${name} k=${cutoff}`).toBe(false);
      other.dispose();
    }
    const dense = await createModel({ model: 'densenet121', cutoff: 'block2', numClasses: 2, device: 'cpu' });
    expect((await dense.state()).get('head_norm.weight')?.shape).toEqual([dense.units.at(-1)!.outChannels]);
    dense.dispose();
  });
});

describe('a network without batch norm (squeezenet1_1)', () => {
  it('the head standardises the unscaled features it pools, without a ReLU: logits = fc(pool(head_norm(features.7)))', async () => {
    const io = readSafetensors(fixture('squeezenet1_1-imagenet-io.safetensors'));
    const input = floats(io, 'input.0');
    const model = await createModel({
      model: 'squeezenet1_1', cutoff: 5, numClasses: 2, weights: 'imagenet', device: 'cpu',
      resolve: { mirror: shared, cacheDir: testCacheDir, offline: true },
    });
    expect(model.loadReport?.missing).toEqual([]);
    const captured = (await model.forward(input.data, input.shape, { units: ['features.7'] })).units['features.7'];
    // Running statistics at the features' own per-channel means, so about half the standardised values are
    // negative and a ReLU after the norm would show.
    const state = await model.state();
    const channelMeans = gap(captured);
    const [n, c] = captured.shape;
    const means = Array.from({ length: c }, (_, ch) => Array.from({ length: n }, (_, i) => channelMeans[i * c + ch]).reduce((a, b) => a + b) / n);
    mapState(state, 'head_norm.running_mean', (_, ch) => means[ch]);
    await loadState(model, state);
    const loaded = await model.state();
    expect(loaded.get('head_norm.weight')?.shape).toEqual([256]);
    const { output } = await model.forward(input.data, input.shape);
    expect(relativeError(output.data, normalisedHeadLogits(loaded, captured, false, 'classifier'))).toBeLessThan(1e-3);
    expect(relativeError(output.data, normalisedHeadLogits(loaded, captured, true, 'classifier'))).toBeGreaterThan(1e-2);
    model.dispose();
  });
});

/** The logits a normalising linear head gives (eval mode): fc(mean over positions of [relu](bn(x))). */
function normalisedHeadLogits(
  state: Map<string, { data: Uint8Array }>, x: { data: Float32Array; shape: number[] }, relu: boolean, linear: string,
): Float32Array {
  const f32 = (name: string) => new Float32Array(state.get(name)!.data.slice().buffer);
  const [gamma, beta, mean, variance, weight, bias] = ['head_norm.weight', 'head_norm.bias', 'head_norm.running_mean', 'head_norm.running_var', `${linear}.weight`, `${linear}.bias`].map(f32);
  const [n, c, h, w] = x.shape;
  const classes = bias.length;
  const logits = new Float32Array(n * classes);
  for (let i = 0; i < n; i++)
    for (let ch = 0; ch < c; ch++) {
      let pooled = 0;
      for (let p = 0; p < h * w; p++) {
        const normed = ((x.data[(i * c + ch) * h * w + p] - mean[ch]) / Math.sqrt(variance[ch] + 1e-5)) * gamma[ch] + beta[ch];
        pooled += relu ? Math.max(0, normed) : normed;
      }
      for (let o = 0; o < classes; o++) logits[i * classes + o] += (weight[o * c + ch] * pooled) / (h * w);
    }
  for (let i = 0; i < n * classes; i++) logits[i] += bias[i % classes];
  return logits;
}
