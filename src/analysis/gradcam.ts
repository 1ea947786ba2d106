// Grad-CAM heatmaps and their PNG overlays.
import sharp from 'sharp';
import type { Cutoff } from '../cutoff/resolve.js';
import type { Model } from '../model.js';
import type { Tensor } from '../nn/tensor.js';

/** Heatmaps [N, H, W] in [0, 1] at `unit` (default: the last kept unit) for `targetClass` (default: predicted). See Model.gradCam. */
export function gradCam(model: Model, data: Float32Array, shape: number[], options: { unit?: Cutoff; targetClass?: number } = {}): Promise<Tensor> {
  return model.gradCam(data, shape, options);
}

/** The 'jet' colour map: blue (0) through green to red (1). */
function jet(v: number): [number, number, number] {
  const c = (x: number) => Math.round(255 * Math.min(1, Math.max(0, x)));
  return [c(1.5 - Math.abs(4 * v - 3)), c(1.5 - Math.abs(4 * v - 2)), c(1.5 - Math.abs(4 * v - 1))];
}

/**
 * A slice montage of a 3D Grad-CAM: `slices` evenly spaced axial slices of `volume` (D x H x W, 0..255)
 * with the heatmap (same shape, [0, 1]) blended over, in one row, written as PNG.
 */
export async function writeMontage(path: string, volume: Uint8Array, heat: Float32Array, shape: [number, number, number], slices = 8): Promise<void> {
  const [d, h, w] = shape;
  const picks = Array.from({ length: Math.min(slices, d) }, (_, i) => Math.floor(((i + 0.5) * d) / Math.min(slices, d)));
  const tiles = picks.map((z) => overlayPixels(volume.subarray(z * h * w, (z + 1) * h * w), heat.subarray(z * h * w, (z + 1) * h * w)));
  await sharp({ create: { width: picks.length * (w + 2), height: h, channels: 3, background: '#ffffff' } })
    .composite(tiles.map((t, i) => ({ input: Buffer.from(t), raw: { width: w, height: h, channels: 3 as const }, left: i * (w + 2), top: 0 })))
    .png().toFile(path);
}

/** RGB pixels of `gray` (0..255) with the heatmap blended over it (alpha 0 gives the plain image). */
export function overlayPixels(gray: Uint8Array, heat: Float32Array, alpha = 0.45): Uint8Array {
  const rgb = new Uint8Array(gray.length * 3);
  for (let i = 0; i < gray.length; i++) {
    const colour = jet(heat[i]);
    for (let c = 0; c < 3; c++) rgb[3 * i + c] = Math.round((1 - alpha) * gray[i] + alpha * colour[c]);
  }
  return rgb;
}

/** Writes `gray` (H x W, 0..255) with the heatmap blended over it (alpha 0.45) as an RGB PNG. */
export async function writeOverlay(path: string, gray: Uint8Array, heat: Float32Array, width: number, height: number, alpha = 0.45): Promise<void> {
  await sharp(overlayPixels(gray, heat, alpha), { raw: { width, height, channels: 3 } }).png().toFile(path);
}
