import { describe, expect, it } from 'vitest';
import { figureInputs } from '../../src/run/analyses/gradcam.js';

// Two 2x2 grayscale images, kept at their size so that every pixel can be checked.
const split = (images: Uint8Array | Uint16Array) => ({ images, shape: [2, 2, 2], labels: new Int32Array(2) });

describe('the Grad-CAM figure inputs', () => {
  it('16-bit images reach the figure scaled to 8 bits and the network at full precision, not cut to their low byte', async () => {
    const values = [0, 32768, 65280, 256, 65535, 0, 512, 51200];
    const { grays, input } = await figureInputs(split(Uint16Array.from(values)), 2, 2, [0.5, 0, 0], [0.25, 1, 1]);
    expect(grays.map((g) => [...g])).toEqual([[0, 128, 254, 1], [255, 0, 2, 199]]);
    // [N, 3, H, W]: channel 0 normalised with mean 0.5 and std 0.25, channels 1 and 2 as they are.
    values.forEach((v, j) => {
      const [n, i] = [Math.floor(j / 4), j % 4];
      expect(input[n * 12 + i]).toBeCloseTo((v / 65535 - 0.5) / 0.25, 5);
      expect(input[n * 12 + 4 + i]).toBeCloseTo(v / 65535, 6);
      expect(input[n * 12 + 8 + i]).toBeCloseTo(v / 65535, 6);
    });
  });

  it('8-bit images as they are', async () => {
    const values = [0, 128, 255, 1, 7, 0, 2, 200];
    const { grays, input } = await figureInputs(split(Uint8Array.from(values)), 2, 2, [0, 0, 0], [1, 1, 1]);
    expect(grays.map((g) => [...g])).toEqual([values.slice(0, 4), values.slice(4)]);
    expect(input[12 + 8 + 3]).toBeCloseTo(200 / 255, 6);
  });
});
