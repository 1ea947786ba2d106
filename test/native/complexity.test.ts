// Params and MACs in ptflops' conventions must equal the reference integers for every cutoff.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createModel } from '../../src/index.js';
import { cutoffTable } from '../../src/models.js';
import { fixture } from '../support/helpers.js';

interface ComplexityFixture {
  full_model_with_imagenet_head: { params: number; macs: number };
  cutoffs: { k: number; unit: string; params: number; macs: number; out_shape: number[] }[];
}

describe.each(['resnet18', 'resnet50', 'squeezenet1_1'])('%s complexity', (name) => {
  const reference: Record<string, ComplexityFixture> = JSON.parse(readFileSync(fixture(`complexity-${name}.json`), 'utf8'));

  it.each(['224', '64'])('matches ptflops at %s px for every K and for the full model', async (size) => {
    const expected = reference[size];
    const rows = await cutoffTable(name, { imageSize: Number(size), device: 'cpu' });
    expect(rows.map((r) => ({ k: r.k, unit: r.unit, params: r.params, macs: r.macs, out_shape: r.outShape }))).toEqual(
      expected.cutoffs,
    );
    const full = await createModel({ model: name, device: 'cpu' });
    const total = await full.complexity([3, Number(size), Number(size)]);
    expect({ params: total.params, macs: total.macs }).toEqual(expected.full_model_with_imagenet_head);
    full.dispose();
  });
});

describe('TTL head complexity', () => {
  // Pre-activation networks cut between the stem and the last unit get a normalising head (BatchNorm + ReLU
  // first), SqueezeNet a standardising one at every cutoff (BatchNorm): the table counts the head each cutoff
  // really gets, natively, without building a network per cutoff.
  it.each([
    ['resnet50', [4, 14]],
    ['resnet50_v2', [1, 6, 17]],
    ['densenet121', [1, 30, 63]],
    ['squeezenet1_1', [1, 5, 9]],
  ])('%s: backbone + head columns equal a real truncated model with a linear head (k = %j)', async (name, ks) => {
    const rows = await cutoffTable(name, { imageSize: 64, numClasses: 3, device: 'cpu' });
    for (const k of ks) {
      const model = await createModel({ model: name, cutoff: k, numClasses: 3, device: 'cpu' });
      const c = await model.complexity([3, 64, 64]);
      expect({ k, params: rows[k - 1].ttlParams, macs: rows[k - 1].ttlMacs }).toEqual({ k, params: c.params, macs: c.macs });
      model.dispose();
    }
  });

  it('ResNet-50 full model: 25,557,032 params and 4,121,925,096 MACs at 224', async () => {
    const model = await createModel({ model: 'resnet50', device: 'cpu' });
    const c = await model.complexity([3, 224, 224]);
    expect(c.params).toBe(25_557_032);
    expect(c.macs).toBe(4_121_925_096);
    expect(c.trainableParams).toBe(25_557_032);
    model.dispose();
  });
});
