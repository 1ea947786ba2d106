// The options renamed in 0.2.0 (CHANGELOG, "Renamed") still work under their old names until 0.3.0: the same
// result as the new name, one DeprecationWarning per old name, and both names at once refused.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createModel, getModelCard } from '../../src/index.js';
import { cutoffTable } from '../../src/models.js';
import { DEMO, RUN_DEFAULTS } from '../../src/run/index.js';
import { planStrategy, strategyName } from '../../src/train/index.js';

const warnings: string[] = [];
const onWarning = (w: Error & { code?: string }) => {
  if (w.code === 'TTL_TORCH_RENAMED') warnings.push(w.message);
};
process.on('warning', onWarning);
afterAll(() => void process.off('warning', onWarning));
// process.emitWarning delivers on a later tick.
const settle = () => new Promise((r) => setImmediate(r));

describe('deprecated aliases', () => {
  it('createModel({ name }) builds what { model } builds, warns once, and both at once are refused', async () => {
    const a = await createModel({ model: 'resnet18', cutoff: 5, numClasses: 3, device: 'cpu', seed: 1 });
    const b = await createModel({ name: 'resnet18', cutoff: 5, numClasses: 3, device: 'cpu', seed: 1 });
    await createModel({ name: 'resnet18', cutoff: 3, device: 'cpu' }).then((m) => m.dispose());
    expect([b.card.name, b.k, b.numClasses]).toEqual([a.card.name, a.k, a.numClasses]);
    const x = Float32Array.from({ length: 3 * 32 * 32 }, (_, i) => Math.sin(i));
    expect((await b.forward(x, [1, 3, 32, 32])).output.data).toEqual((await a.forward(x, [1, 3, 32, 32])).output.data);
    a.dispose();
    b.dispose();
    await settle();
    expect(warnings.filter((w) => w.startsWith('createModel options.name'))).toEqual([
      'createModel options.name is deprecated since ttl-torch 0.2.0 and will be removed in 0.3.0: use model',
    ]);
    await expect(createModel({ model: 'resnet18', name: 'resnet34' } as never)).rejects.toMatchObject({
      code: 'E_BAD_ARGUMENT', message: 'createModel options: give model or its deprecated alias name, not both',
    });
    await expect(createModel({ device: 'cpu' } as never)).rejects.toMatchObject({ code: 'E_BAD_ARGUMENT', message: /for model but received undefined/ });
  });

  it('complexity({ headClasses }) and cutoffTable({ inputSize }) equal numClasses and imageSize', async () => {
    const model = await createModel({ model: 'squeezenet1_1', head: 'none', device: 'cpu' });
    expect(await model.complexity([3, 48, 48], { headClasses: 4 })).toEqual(await model.complexity([3, 48, 48], { numClasses: 4 }));
    expect((await model.complexity([3, 48, 48], { numClasses: 4 })).units[2].headParams).toBeGreaterThan(0);
    model.dispose();
    expect(await cutoffTable('squeezenet1_1', { inputSize: 48 })).toEqual(await cutoffTable('squeezenet1_1', { imageSize: 48 }));
    await settle();
    expect(warnings.some((w) => w.startsWith('complexity options.headClasses'))).toBe(true);
    expect(warnings.some((w) => w.startsWith('cutoffTable options.inputSize'))).toBe(true);
  });

  it("a strategy's k is its cutoff; LWFT's k counted the units finetuned, so it becomes cutoff n - k", async () => {
    const card = getModelCard('squeezenet1_1');
    expect(card.units.length).toBe(9);
    expect(planStrategy(card, { kind: 'lwft', k: 2 })).toEqual(planStrategy(card, { kind: 'lwft', cutoff: 7 }));
    expect(planStrategy(card, { kind: 'lwft', cutoff: 7 }).unitLrScale).toEqual([0, 0, 0, 0, 0, 0, 0, 0.1, 0.1]);
    expect(planStrategy(card, { kind: 'ttl', k: 'block2' })).toEqual(planStrategy(card, { kind: 'ttl', cutoff: 'block2' }));
    expect(strategyName(card, { kind: 'lwft', cutoff: 7 })).toBe('LWFT(k=7)');
    expect(() => planStrategy(card, { kind: 'lwft', k: 2, cutoff: 7 } as never)).toThrow('strategy: give cutoff or its deprecated alias k, not both');
    expect(() => planStrategy(card, { kind: 'lwft', cutoff: 9 })).toThrow(/would freeze every unit/);
    await settle();
    expect(warnings.filter((w) => w.startsWith('strategy.k'))).toHaveLength(1);
  });

  it("loadWeights({ layout }) is keyLayout (the checkpoint's key names)", async () => {
    const model = await createModel({ model: 'resnet18', cutoff: 5, numClasses: 2, device: 'cpu' });
    const path = join(mkdtempSync(join(tmpdir(), 'ttl-alias-')), 'w.safetensors');
    await model.saveWeights(path);
    const { path: _a, ...viaNew } = await model.loadWeights(path, { keyLayout: 'torchvision' });
    const { path: _b, ...viaOld } = await model.loadWeights(path, { layout: 'torchvision' });
    expect(viaOld).toEqual(viaNew);
    await expect(model.loadWeights(path, { keyLayout: 'nonsense' })).rejects.toMatchObject({ message: expect.stringContaining('nonsense') });
    model.dispose();
    await settle();
    expect(warnings.some((w) => w.startsWith('loadWeights options.layout'))).toBe(true);
  });

  it('DEMO is RUN_DEFAULTS', () => {
    expect(DEMO).toBe(RUN_DEFAULTS);
  });
});
