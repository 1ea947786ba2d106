// torchvision video r3d_18: parity with formula weights and ptflops-exact complexity at both input sizes.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createModel } from '../../src/index.js';
import { cutoffTable } from '../../src/models.js';
import { writeSafetensors } from '../../src/weights/index.js';
import { fixture, floats, gap, readSafetensors, relativeError } from '../support/helpers.js';

const file = readSafetensors(fixture('parity-r3d_18.safetensors'));
const meta = file.metadata;

/** The fixture's formula, computed in float64 and rounded to float32. */
function formulaTensor(name: string, shape: number[], t: number): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let v: number;
    if (shape.length === 5 || shape.length === 2) v = Math.sin(0.37 * i + 0.71 * t) * Math.sqrt(2 / (n / shape[0]));
    else if (name.endsWith('running_mean')) v = 0.05 * Math.sin(0.23 * i + t);
    else if (name.endsWith('running_var')) v = 1 + 0.25 * Math.sin(0.31 * i + t) ** 2;
    else if (name.endsWith('weight')) v = 1 + 0.1 * Math.sin(0.37 * i + 0.71 * t);
    else v = 0.05 * Math.sin(0.37 * i + 0.71 * t + 1);
    out[i] = v;
  }
  return out;
}

describe('r3d_18 parity with torchvision (formula weights)', () => {
  it('matches logits and the pooled output of every unit (1e-4 relative)', async () => {
    const model = await createModel({ model: 'r3d_18', numClasses: 400, head: 'original', device: 'cpu' });
    const state = await model.state();
    const order: string[] = JSON.parse(meta.order);
    const tensors = order.map((name, t) => {
      const shape = state.get(name)!.shape;
      return { name, dtype: 'F32', shape, data: new Uint8Array(formulaTensor(name, shape, t).buffer) };
    });
    const path = join(mkdtempSync(join(tmpdir(), 'ttl-r3d-')), 'formula.safetensors');
    writeSafetensors(path, tensors);
    const report = await model.loadWeights(path);
    expect(report.missing).toEqual([]);
    const units: string[] = JSON.parse(meta.units);
    const input = floats(file, 'input');
    const result = await model.forward(input.data, input.shape, { units });
    expect(relativeError(result.output.data, floats(file, 'expected.logits').data)).toBeLessThan(1e-4);
    units.forEach((unit, i) => expect(relativeError(gap(result.units[unit]), floats(file, `expected.gap.k${i + 1}`).data), unit).toBeLessThan(1e-4));
    model.dispose();
  });
});

describe('kenshohara 3D ResNets', () => {
  it('ResNeXt3D-101 has 34 units and 47,521,216 backbone parameters (the paper\'s 47.5 M)', async () => {
    const model = await createModel({ model: 'resnext3d_101', head: 'none', device: 'cpu' });
    expect(model.units).toHaveLength(34);
    const c = await model.complexity([3, 8, 32, 32]);
    expect(c.params).toBe(47_521_216);
    expect(model.units.at(-1)).toMatchObject({ name: 'layer4.2', outChannels: 2048 });
    model.dispose();
  });

  it.each([['resnet3d_18', 512], ['resnet3d_34', 512], ['resnet3d_50', 2048]])('%s ends with %i channels and trains as TTL', async (name, channels) => {
    const model = await createModel({ model: name, head: 'none', device: 'cpu' });
    expect(model.units.at(-1)?.outChannels).toBe(channels);
    model.dispose();
    const ttl = await createModel({ model: name, cutoff: 'block2', numClasses: 2, device: 'cpu' });
    const loss = await ttl.trainStep(new Float32Array(2 * 3 * 8 * 32 * 32).map((_, i) => Math.sin(i)), [2, 3, 8, 32, 32], Int32Array.from([0, 1]), { lr: 0.01 });
    expect(Number.isFinite(loss)).toBe(true);
    ttl.dispose();
  });
});

describe('r3d_18 complexity', () => {
  const reference = JSON.parse(readFileSync(fixture('complexity-r3d_18.json'), 'utf8')).by_input;
  it.each(Object.keys(reference))('matches ptflops at %s for every K and the full model', async (key) => {
    const [c, d, h] = key.split('x').map(Number);
    expect(c).toBe(3);
    const rows = await cutoffTable('r3d_18', { imageSize: h, frames: d, device: 'cpu' });
    expect(rows.map((r) => ({ k: r.k, unit: r.unit, params: r.params, macs: r.macs }))).toEqual(
      reference[key].cutoffs.map((r: { k: number; unit: string; params: number; macs: number }) => ({ k: r.k, unit: r.unit, params: r.params, macs: r.macs })),
    );
    const full = await createModel({ model: 'r3d_18', numClasses: 400, head: 'original', device: 'cpu' });
    const total = await full.complexity([3, d, h, h]);
    expect({ params: total.params, macs: total.macs }).toEqual(reference[key].full_model);
    full.dispose();
  });
});
