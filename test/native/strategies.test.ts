// Each strategy trains on real MedMNIST data with the real SqueezeNet ImageNet weights and moves only
// the parameters it should.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createModel, finetune, type FinetuneOptions, type Model } from '../../src/index.js';
import { readMedMNIST, type ImageDataset, type MemorySplit } from '../../src/data/index.js';
import { shared, testCacheDir } from '../support/helpers.js';

const pneumonia = join(shared, 'data', 'pneumoniamnist', 'pneumoniamnist.npz');
const breast = join(shared, 'data', 'breastmnist', 'breastmnist.npz');

/** A small, stratified-enough slice of each split keeps the suite fast while running the real code path. */
function subset(path: string, n: number): ImageDataset {
  const data = readMedMNIST(path);
  const take = (s: MemorySplit, count: number) => {
    const pixels = s.shape.slice(1).reduce((a, b) => a * b, 1);
    return { images: s.images.slice(0, count * pixels), shape: [count, ...s.shape.slice(1)], labels: s.labels.slice(0, count) };
  };
  return { ...data, train: take(data.train, n), val: take(data.val, 64), test: take(data.test, 64) };
}

const common = (data: ImageDataset): Omit<FinetuneOptions, 'strategy'> => ({
  model: 'squeezenet1_1', weights: 'imagenet', data, imageSize: 32, epochs: 1, batchSize: 32, lr: 0.001, device: 'cpu',
  resolve: { mirror: shared, offline: true, cacheDir: testCacheDir }, keepModel: true,
});

async function pretrained(): Promise<Map<string, Buffer>> {
  const model = await createModel({ model: 'squeezenet1_1', weights: 'imagenet', device: 'cpu', resolve: { mirror: shared, offline: true } });
  const state = await model.state();
  model.dispose();
  return new Map([...state].map(([k, v]) => [k, Buffer.from(v.data)]));
}

async function changed(model: Model, reference: Map<string, Buffer>): Promise<Set<string>> {
  const state = await model.state();
  return new Set([...state].filter(([k, v]) => reference.has(k) && !Buffer.from(v.data).equals(reference.get(k)!)).map(([k]) => k));
}

const unitOf = (key: string) => /^features\.(\d+)\./.exec(key)?.[1];

describe.each([
  ['PneumoniaMNIST', pneumonia],
  ['BreastMNIST', breast],
])('strategies on %s', (_name, path) => {
  const data = subset(path, 96);

  it('FFE: the backbone stays bit-identical, only the new head trains', async () => {
    const reference = await pretrained();
    const result = await finetune({ ...common(data), strategy: { kind: 'ffe' } });
    const model = result.model!;
    expect(await changed(model, reference)).toEqual(new Set());
    const groups = await model.trainingGroups();
    expect(groups.map((g) => ({ ...g, params: [...g.params].sort() }))).toEqual([{ lr: 0.001, params: ['classifier.bias', 'classifier.weight', 'head_norm.bias', 'head_norm.weight'] }]);
    // The linear layer and the head's standardising norm (SqueezeNet has no other).
    expect(result.trainableParams).toBe(512 * 2 + 2 + 2 * 512);
    expect(result.test.auroc).toBeGreaterThan(0);
    model.dispose();
  });

  it('FTL: every pretrained parameter moves', async () => {
    const reference = await pretrained();
    const result = await finetune({ ...common(data), strategy: { kind: 'ftl' } });
    const moved = await changed(result.model!, reference);
    expect([...reference.keys()].filter((k) => !k.startsWith('classifier') && !moved.has(k))).toEqual([]);
    result.model!.dispose();
  });

  it('LWFT(k=7): units 1-7 frozen, only the top two Fire modules and the head train, at eta/10 and eta', async () => {
    const reference = await pretrained();
    const result = await finetune({ ...common(data), strategy: { kind: 'lwft', cutoff: 7 } });
    expect(result.k).toBe(7);
    const model = result.model!;
    const moved = [...(await changed(model, reference))];
    expect(new Set(moved.map(unitOf))).toEqual(new Set(['11', '12']));
    const groups = await model.trainingGroups();
    expect(groups.map((g) => g.lr)).toEqual([0.001 / 10, 0.001]);
    expect(new Set(groups[0].params.map(unitOf))).toEqual(new Set(['11', '12']));
    expect(groups[1].params.every((p) => p.startsWith('classifier.') || p.startsWith('head_norm.'))).toBe(true);
    model.dispose();
  });

  it('TF(k=5): units after k are rebuilt at half width from random init', async () => {
    const result = await finetune({ ...common(data), strategy: { kind: 'tf', cutoff: 5 } });
    const model = result.model!;
    expect(model.loadReport?.reinitialised.length).toBeGreaterThan(0);
    expect(model.units.map((u) => [u.name, u.outChannels, u.slim])).toEqual([
      ['stem', 64, false], ['features.3', 128, false], ['features.4', 128, false], ['features.6', 256, false], ['features.7', 256, false],
      ['features.9', 192, true], ['features.10', 192, true], ['features.11', 256, true], ['features.12', 256, true],
    ]);
    const full = await createModel({ model: 'squeezenet1_1', numClasses: 2, device: 'cpu' });
    const [slim, wide] = [await model.complexity([3, 32, 32]), await full.complexity([3, 32, 32])];
    expect(slim.params).toBeLessThan(wide.params);
    expect(slim.units[4].params).toBe(wide.units[4].params); // kept units unchanged
    expect(result.params).toBe(slim.params);
    full.dispose();
    model.dispose();
  });

  it('TTL(block2): the network ends at unit k and all of it trains', async () => {
    const reference = await pretrained();
    const result = await finetune({ ...common(data), strategy: { kind: 'ttl', cutoff: 'block2' } });
    const model = result.model!;
    expect(result.k).toBe(5);
    expect(model.units.at(-1)?.name).toBe('features.7');
    const state = await model.state();
    expect([...state.keys()].some((k) => ['9', '10', '11', '12'].includes(unitOf(k) ?? ''))).toBe(false);
    const moved = await changed(model, reference);
    expect([...state.keys()].filter((k) => !k.startsWith('classifier') && !k.startsWith('head_norm') && !moved.has(k))).toEqual([]);
    model.dispose();
  });
});

describe('finetune bookkeeping', () => {
  it('selects the best epoch on validation, reports curves and metrics, and emits progress', async () => {
    const events: string[] = [];
    const result = await finetune({
      ...common(subset(pneumonia, 128)), keepModel: false, epochs: 3, strategy: { kind: 'ttl', cutoff: 3 },
      onProgress: (e) => events.push(e.type),
    });
    expect(result.curves).toHaveLength(3);
    expect(result.bestEpoch).toBe(1 + result.curves.map((c) => c.valAuroc).indexOf(Math.max(...result.curves.map((c) => c.valAuroc))));
    expect(result.val.auroc).toBe(result.curves[result.bestEpoch - 1].valAuroc);
    expect(events.filter((e) => e === 'epoch')).toHaveLength(3);
    expect(events.filter((e) => e === 'batch')).toHaveLength(3 * 4);
    expect(result.imagesPerSecond).toBeGreaterThan(0);
    expect(result.model).toBeUndefined();
  });

  it('the same seed gives the same numbers on CPU', async () => {
    const run = () => finetune({ ...common(subset(breast, 64)), keepModel: false, strategy: { kind: 'ttl', cutoff: 4 }, seed: 7 });
    const [a, b] = [await run(), await run()];
    expect(b.curves.map((c) => c.trainLoss)).toEqual(a.curves.map((c) => c.trainLoss));
    expect(b.test.auroc).toBe(a.test.auroc);
  });

  it('an AbortSignal cancels between batches', async () => {
    const controller = new AbortController();
    const run = finetune({
      ...common(subset(pneumonia, 256)), keepModel: false, epochs: 5, batchSize: 8, strategy: { kind: 'ftl' }, signal: controller.signal,
      onProgress: (e) => e.type === 'batch' && e.batch === 2 && controller.abort(),
    });
    await expect(run).rejects.toMatchObject({ code: 'E_CANCELLED' });
  });

  it('a split without every class is refused with the counts', async () => {
    const data = subset(breast, 64);
    const onlyOnes = { ...data, val: { ...data.val, labels: data.val.labels.map(() => 1) } };
    await expect(finetune({ ...common(onlyOnes), strategy: { kind: 'ffe' } })).rejects.toThrow(
      /breastmnist: the val split has no images of class 0 \(counts 0\/64\)/,
    );
  });

  it('the event loop stays responsive while a trial trains', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const start = performance.now();
    await finetune({ ...common(subset(pneumonia, 256)), keepModel: false, epochs: 2, strategy: { kind: 'ftl' } });
    clearInterval(timer);
    const elapsed = performance.now() - start;
    // a blocked loop would tick about once per trial; a free one every few milliseconds
    expect(ticks).toBeGreaterThan(elapsed / 5 / 4);
  });

  it('a divergent trial ends with E_DIVERGED', async () => {
    // Unclipped, at the largest LR a trial accepts: the default clipping at 5 keeps even LR 1 finite here, and
    // unclipped LR 1 trains since SqueezeNet's head standardises its features.
    await expect(finetune({ ...common(subset(pneumonia, 64)), keepModel: false, lr: 10, epochs: 3, clipGradNorm: 0, batchSize: 8, strategy: { kind: 'ftl' } })).rejects.toMatchObject({
      code: 'E_DIVERGED',
    });
  });
});
