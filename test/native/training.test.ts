// A forward + backward + SGD step through a truncated network changes exactly what it should.
import { describe, expect, it } from 'vitest';
import { createModel, type Model } from '../../src/index.js';

function batch(n: number, size: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n * 3 * size * size }, () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1);
}

async function snapshot(model: Model) {
  const state = await model.state();
  return new Map([...state].map(([k, v]) => [k, Buffer.from(v.data)]));
}

describe('training step', () => {
  it('TTL(k): every kept parameter moves; frozen units stay bit-identical; the net ends at unit k', async () => {
    const model = await createModel({ model: 'resnet18', cutoff: 5, numClasses: 2, device: 'cpu', seed: 1 });
    expect(model.units.at(-1)?.name).toBe('layer2.1');
    await model.freeze(2); // stem + layer1.0 frozen
    const before = await snapshot(model);
    const loss = await model.trainStep(batch(4, 32, 7), [4, 3, 32, 32], Int32Array.from([0, 1, 0, 1]), { lr: 0.1 });
    expect(Number.isFinite(loss)).toBe(true);
    const after = await snapshot(model);
    expect([...after.keys()]).toEqual([...before.keys()]);
    for (const [name, value] of after) {
      const changed = !value.equals(before.get(name)!);
      const frozen = name.startsWith('conv1.') || name.startsWith('bn1.') || name.startsWith('layer1.0.');
      // frozen units keep their batch-norm statistics too (their batch norms run in eval mode)
      expect(changed, name).toBe(!frozen);
    }
    expect([...after.keys()].some((k) => k.startsWith('layer3'))).toBe(false);
    model.dispose();
  });

  it('clipGradNorm bounds the global gradient norm of a step; a zero head starts at equal logits', async () => {
    // Momentum 0: the first SGD step moves every parameter by exactly lr * gradient.
    const stepNorm = async (clipGradNorm?: number) => {
      const model = await createModel({ model: 'squeezenet1_1', cutoff: 4, numClasses: 2, device: 'cpu', seed: 3 });
      const before = await model.state();
      await model.trainStep(batch(4, 32, 5), [4, 3, 32, 32], Int32Array.from([0, 1, 1, 0]), { lr: 0.5, momentum: 0, clipGradNorm });
      const names = new Set((await model.trainingGroups()).flatMap((g) => g.params));
      const after = await model.state();
      let sum = 0;
      for (const name of names) {
        const a = new Float32Array(after.get(name)!.data.slice().buffer);
        const b = new Float32Array(before.get(name)!.data.slice().buffer);
        for (let i = 0; i < a.length; i++) sum += (a[i] - b[i]) ** 2;
      }
      model.dispose();
      return Math.sqrt(sum) / 0.5;
    };
    const free = await stepNorm();
    expect(free).toBeGreaterThan(0.01);
    expect(await stepNorm(0.01)).toBeCloseTo(0.01, 5);
    expect(await stepNorm(free * 2)).toBeCloseTo(free, 5); // a bound above the norm changes nothing

    const zero = await createModel({ model: 'resnet18', cutoff: 5, numClasses: 3, headInit: 'zero', device: 'cpu', seed: 1 });
    const { output } = await zero.forward(batch(2, 32, 9), [2, 3, 32, 32]);
    expect([...output.data]).toEqual([0, 0, 0, 0, 0, 0]);
    zero.dispose();
  });

  it('freeze, step, freeze again, step: the same freezing keeps training; another one moves the frozen set', async () => {
    const model = await createModel({ model: 'resnet18', cutoff: 4, numClasses: 2, device: 'cpu', seed: 2 });
    const x = batch(4, 32, 5);
    const y = Int32Array.from([1, 0, 1, 0]);
    const step = async (frozen: string[]) => {
      const before = await snapshot(model);
      expect(Number.isFinite(await model.trainStep(x, [4, 3, 32, 32], y, { lr: 0.05 }))).toBe(true);
      const moved = [...(await snapshot(model))].filter(([name, value]) => !value.equals(before.get(name)!)).map(([name]) => name);
      const isFrozen = (name: string) => frozen.some((p) => name.startsWith(p));
      expect(moved.filter(isFrozen)).toEqual([]);
      expect(moved.filter((n) => n.endsWith('.weight') && !isFrozen(n)).length).toBeGreaterThan(0);
      expect(moved.some((n) => n.startsWith('fc.'))).toBe(true);
    };
    const stem = ['conv1.', 'bn1.'];
    const layer1 = ['layer1.0.', 'layer1.1.'];
    await model.freeze(2);
    await step([...stem, 'layer1.0.']);
    await model.freeze(2); // used to fail: "configure training before calling trainStep"
    await step([...stem, 'layer1.0.']);
    await model.freeze(3);
    await step([...stem, ...layer1]);
    expect((await model.trainingGroups()).flatMap((g) => g.params).some((p) => p.startsWith('layer1.'))).toBe(false);
    await model.freeze(0);
    await step([]);
    expect((await model.trainingGroups()).flatMap((g) => g.params)).toContain('conv1.weight');
    await model.freeze(1);
    await step(stem);
    model.dispose();
  });

  it('loss decreases over a few steps on a fixed batch', async () => {
    const model = await createModel({ model: 'squeezenet1_1', cutoff: 4, numClasses: 2, device: 'cpu', seed: 3 });
    const x = batch(8, 32, 11);
    const y = Int32Array.from([0, 1, 0, 1, 0, 1, 0, 1]);
    const losses: number[] = [];
    for (let i = 0; i < 8; i++) losses.push(await model.trainStep(x, [8, 3, 32, 32], y, { lr: 0.01 }));
    expect(losses.at(-1)!).toBeLessThan(losses[0]);
    model.dispose();
  });

  it('the same seed builds the same network', async () => {
    const a = await createModel({ model: 'resnet18', cutoff: 3, device: 'cpu', seed: 42 });
    const b = await createModel({ model: 'resnet18', cutoff: 3, device: 'cpu', seed: 42 });
    const c = await createModel({ model: 'resnet18', cutoff: 3, device: 'cpu', seed: 43 });
    const [sa, sb, sc] = await Promise.all([a.state(), b.state(), c.state()]);
    const w = (s: typeof sa) => Buffer.from(s.get('layer1.0.conv1.weight')!.data);
    expect(w(sa).equals(w(sb))).toBe(true);
    expect(w(sa).equals(w(sc))).toBe(false);
    for (const m of [a, b, c]) m.dispose();
  });
});
