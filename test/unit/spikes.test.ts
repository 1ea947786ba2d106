// The defaults study's spike criterion (bench/spikes.mjs): a batch after the first epoch whose loss is both a jump
// (3x the median of the 18 batches before it) and worse than twice a uniform guess (2 ln C).
import { describe, expect, it } from 'vitest';
import { lossSpike } from '../../bench/spikes.mjs';

// `epochs` epochs of 18 batches at `level`, with `changes` ({ index: loss }) applied.
const trace = (epochs: number, level: number, changes: Record<number, number> = {}) =>
  Array.from({ length: epochs * 18 }, (_, i) => ({ epoch: Math.floor(i / 18) + 1, loss: changes[i] ?? level }));

describe('lossSpike', () => {
  it('a jump above 2 ln C after epoch 1 is a spike, reported with its epoch, value and threshold', () => {
    const spike = lossSpike(trace(4, 0.4, { 40: 2.2 }), 2);
    expect(spike).toMatchObject({ spike: true, loss: 2.2, epoch: 3, index: 40 });
    expect(spike.threshold).toBeCloseTo(2 * Math.log(2), 12);
  });

  it('the same loss in the first epoch is not (a new head starts there)', () => {
    expect(lossSpike(trace(4, 0.4, { 10: 2.2 }), 2).spike).toBe(false);
  });

  it('a jump that still beats twice a uniform guess is not: 0.05 -> 1.2 with 2 classes', () => {
    expect(lossSpike(trace(4, 0.05, { 40: 1.2 }), 2)).toMatchObject({ spike: false, loss: 1.2 });
  });

  it('a high plateau is slow training, not a spike: the threshold follows 3x its median', () => {
    const spike = lossSpike(trace(4, 1.6, { 40: 4 }), 2);
    expect(spike).toMatchObject({ spike: false, loss: 4 });
    expect(spike.threshold).toBeCloseTo(4.8, 12);
    expect(lossSpike(trace(4, 1.6, { 40: 5 }), 2).spike).toBe(true);
  });

  it('more classes raise the floor: 2.2 is a spike with 2 classes, not with 3 (2 ln 3 = 2.20)', () => {
    expect(lossSpike(trace(4, 0.4, { 40: 2.19 }), 3).spike).toBe(false);
    expect(lossSpike(trace(4, 0.4, { 40: 2.21 }), 3).spike).toBe(true);
  });
});
