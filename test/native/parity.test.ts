// torchvision parity: random-weight ResNets from PyTorch 1.13 reproduce logits, per-unit pooled
// features and full feature maps (../shared/fixtures/parity-*.safetensors).
import { describe, expect, it } from 'vitest';
import { createModel, getModelCard } from '../../src/index.js';
import { fixture, floats, gap, readSafetensors, relativeError } from '../support/helpers.js';

describe.each(['resnet18', 'resnet50'])('%s parity with torchvision', (name) => {
  const file = readSafetensors(fixture(`parity-${name}.safetensors`));
  const units: string[] = JSON.parse(file.metadata.units);
  const input = floats(file, 'input');

  it('declares the fixture unit order', () => {
    expect(getModelCard(name).units).toEqual(units);
  });

  it('matches logits, pooled features of every K and full maps (1e-4 relative)', async () => {
    // The fixture holds inputs and expectations beside the weights: load only the `weights.` keys.
    const net = await createModel({ model: name, device: 'cpu' });
    const report = await net.loadWeights(fixture(`parity-${name}.safetensors`), { prefix: 'weights.' });
    expect(report.missing).toEqual([]);
    expect(report.loaded.length).toBeGreaterThan(50);

    const result = await net.forward(input.data, input.shape, { units: units.map((_, i) => i + 1) });
    expect(result.output.shape).toEqual([2, 1000]);
    expect(relativeError(result.output.data, floats(file, 'expected.logits').data)).toBeLessThan(1e-4);

    units.forEach((unit, i) => {
      const expected = floats(file, `expected.gap.k${i + 1}`);
      expect(relativeError(gap(result.units[unit]), expected.data), `gap k${i + 1}`).toBeLessThan(1e-4);
      if (file.tensors.has(`expected.map.k${i + 1}`)) {
        const map = floats(file, `expected.map.k${i + 1}`);
        expect(result.units[unit].shape).toEqual(map.shape);
        expect(relativeError(result.units[unit].data, map.data), `map k${i + 1}`).toBeLessThan(1e-4);
      }
    });
    net.dispose();
  });

  it('a truncated network computes exactly the first K units', async () => {
    const k = 5;
    const net = await createModel({ model: name, cutoff: k, head: 'none', device: 'cpu' });
    const report = await net.loadWeights(fixture(`parity-${name}.safetensors`), { prefix: 'weights.' });
    expect(report.dropped.length).toBeGreaterThan(0);
    expect(report.dropped.every((key) => !key.startsWith('layer1') && !key.startsWith('conv1'))).toBe(true);
    expect(report.headSkipped).toEqual(['fc.bias', 'fc.weight']);
    const result = await net.forward(input.data, input.shape);
    expect(relativeError(gap(result.output), floats(file, `expected.gap.k${k}`).data)).toBeLessThan(1e-4);
    net.dispose();
  });
});
