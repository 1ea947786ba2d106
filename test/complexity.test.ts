// Params and MACs in ptflops' conventions must equal the reference integers for every cutoff.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createModel, cutoffTable } from '../src/index.js';
import { fixture } from './helpers.js';

interface ComplexityFixture {
  full_model_with_imagenet_head: { params: number; macs: number };
  cutoffs: { k: number; unit: string; params: number; macs: number; out_shape: number[] }[];
}

describe.each(['resnet18', 'resnet50', 'squeezenet1_1'])('%s complexity', (name) => {
  const reference: Record<string, ComplexityFixture> = JSON.parse(readFileSync(fixture(`complexity-${name}.json`), 'utf8'));

  it.each(['224', '64'])('matches ptflops at %s px for every K and for the full model', async (size) => {
    const expected = reference[size];
    const rows = await cutoffTable(name, { inputSize: Number(size), device: 'cpu' });
    expect(rows.map((r) => ({ k: r.k, unit: r.unit, params: r.params, macs: r.macs, out_shape: r.outShape }))).toEqual(
      expected.cutoffs,
    );
    const full = await createModel({ name, device: 'cpu' });
    const total = await full.complexity([3, Number(size), Number(size)]);
    expect({ params: total.params, macs: total.macs }).toEqual(expected.full_model_with_imagenet_head);
    full.dispose();
  });
});

describe('TTL head complexity', () => {
  it('backbone + head columns equal a real truncated model with a linear head', async () => {
    const rows = await cutoffTable('resnet50', { inputSize: 64, numClasses: 3, device: 'cpu' });
    for (const k of [4, 14]) {
      const model = await createModel({ name: 'resnet50', cutoff: k, numClasses: 3, device: 'cpu' });
      const c = await model.complexity([3, 64, 64]);
      expect({ params: rows[k - 1].ttlParams, macs: rows[k - 1].ttlMacs }).toEqual({ params: c.params, macs: c.macs });
      model.dispose();
    }
  });

  it('ResNet-50 full model: 25,557,032 params and 4,121,925,096 MACs at 224', async () => {
    const model = await createModel({ name: 'resnet50', device: 'cpu' });
    const c = await model.complexity([3, 224, 224]);
    expect(c.params).toBe(25_557_032);
    expect(c.macs).toBe(4_121_925_096);
    expect(c.trainableParams).toBe(25_557_032);
    model.dispose();
  });
});
