// A side-by-side Grad-CAM figure for a finished run: test images, then the FTL and TTL models' heatmaps
// (the rows' chosen trials), written as PNG and as an SVG that report.html embeds.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { imageRows, sampleBits, type ImageSplit } from '../../data/dataset.js';
import { TtlError } from '../../errors.js';
import { writeFileAtomic } from '../../fs/atomic.js';
import { createModel } from '../../model.js';
import { getModelCard, normalisation } from '../../registry.js';
import { readJournal } from '../journal.js';
import { toStrategy } from '../plan.js';
import { table } from '../results.js';
import { loadClassificationData } from '../run-data.js';
import { readSavedConfig } from '../config.js';
import { planStrategy } from '../../train/strategies.js';
import { gradCam, overlayPixels } from '../../analysis/gradcam.js';
import { metricsOf } from '../task.js';

/** Test images in the figure unless told. */
export const GRADCAM_IMAGES = 4;

/**
 * The first `count` images of a grayscale split resized to `size`: as 8-bit grays for the figure, and as the
 * network's normalised 3-channel input. 16-bit images are resized at 16 bits and scaled, never truncated to a byte.
 */
export async function figureInputs(split: ImageSplit, count: number, size: number, mean: number[], std: number[]): Promise<{ grays: Uint8Array[]; input: Float32Array }> {
  const [h, w] = split.shape.slice(1);
  const wide = sampleBits(split) === 16;
  const range = wide ? 65535 : 255;
  const resized = await Promise.all(Array.from({ length: count }, async (_, i) => {
    const out = await sharp(imageRows(split, i, i + 1), { raw: { width: w, height: h, channels: 1 } })
      .resize(size, size, { fit: 'fill' }).toColourspace(wide ? 'grey16' : 'b-w').raw({ depth: wide ? 'ushort' : 'uchar' }).toBuffer();
    // A copy: sharp's buffer need not start at an even offset.
    return wide ? new Uint16Array(Uint8Array.from(out).buffer) : new Uint8Array(out);
  }));
  const input = new Float32Array(count * 3 * size * size);
  resized.forEach((g, n) => {
    for (let c = 0; c < 3; c++) for (let i = 0; i < size * size; i++) input[(n * 3 + c) * size * size + i] = (g[i] / range - mean[c]) / std[c];
  });
  const grays = resized.map((g) => (wide ? Uint8Array.from(g, (v) => Math.round(v / 257)) : (g as Uint8Array)));
  return { grays, input };
}

/** The side-by-side Grad-CAM figure of a finished run's FTL and TTL networks on test images; returns its path. */
export async function runGradcamFigure(dir: string, options: { count?: number; size?: number } = {}): Promise<string> {
  const config = readSavedConfig(dir);
  const card = getModelCard(config.model);
  if (card.input.frames || config.task === 'segmentation')
    throw new TtlError('E_BAD_ARGUMENT', 'the side-by-side Grad-CAM figure is for 2D classification runs');
  const rows = table(readJournal(join(dir, 'journal.jsonl')), metricsOf(config));
  const chosen = ['FTL', 'TTL-2', 'TTL-1'].map((m) => rows.find((r) => r.method === m)).filter((r) => r !== undefined);
  const ftl = chosen.find((r) => r.method === 'FTL');
  const ttl = chosen.find((r) => r.method.startsWith('TTL'));
  if (!ftl || !ttl) throw new TtlError('E_BAD_ARGUMENT', `${dir} needs finished FTL and TTL trials for the comparison`);
  const data = await loadClassificationData(config, 'the Grad-CAM figure');
  if (data.kind !== 'gray') throw new TtlError('E_BAD_ARGUMENT', 'the side-by-side figure supports grayscale datasets');
  const count = Math.min(options.count ?? GRADCAM_IMAGES, data.test.labels.length);
  const size = options.size ?? 128;
  const { mean, std } = normalisation(card, config.weights);
  const { grays, input } = await figureInputs(data.test, count, size, mean, std);
  const tiles: Buffer[][] = grays.map((g) => [Buffer.from(overlayPixels(g, new Float32Array(size * size), 0))]);
  for (const row of [ftl, ttl]) {
    const trial = `${row.strategy}-k${row.cutoff}-s${config.seed}`;
    const plan = planStrategy(card, toStrategy(card, row.strategy, row.cutoff));
    const model = await createModel({
      model: card.name, cutoff: plan.keepUnits, slimAfter: plan.slimAfter, numClasses: data.classes.length, device: config.device,
      weights: join(dir, 'trials', trial, 'best.safetensors'),
    });
    try {
      const cam = await gradCam(model, input, [count, 3, size, size]);
      grays.forEach((g, n) => tiles[n].push(Buffer.from(overlayPixels(g, cam.data.subarray(n * size * size, (n + 1) * size * size)))));
    } finally {
      model.dispose();
    }
  }
  const gap = 4;
  const png = await sharp({ create: { width: 3 * size + 2 * gap, height: count * size + (count - 1) * gap, channels: 3, background: '#ffffff' } })
    .composite(tiles.flatMap((row, n) => row.map((tile, c) => ({ input: tile, raw: { width: size, height: size, channels: 3 as const }, left: c * (size + gap), top: n * (size + gap) }))))
    .png().toBuffer();
  const out = join(dir, 'analysis');
  mkdirSync(out, { recursive: true });
  writeFileAtomic(join(out, 'gradcam-ftl-vs-ttl.png'), [png]);
  const width = 3 * size + 2 * gap;
  const height = count * size + (count - 1) * gap + 20;
  const svg = `<svg width="${width}" height="${height}" role="img" aria-label="Grad-CAM FTL vs TTL">` +
    `<text x="${size / 2}" y="14" text-anchor="middle" font-size="12">test image</text>` +
    `<text x="${size * 1.5 + gap}" y="14" text-anchor="middle" font-size="12">FTL (k=${ftl.cutoff})</text>` +
    `<text x="${size * 2.5 + 2 * gap}" y="14" text-anchor="middle" font-size="12">${ttl.method} (k=${ttl.cutoff})</text>` +
    `<image y="20" width="${width}" height="${height - 20}" href="data:image/png;base64,${png.toString('base64')}"/></svg>`;
  writeFileAtomic(join(out, 'gradcam-ftl-vs-ttl.svg'), [svg]);
  return join(out, 'gradcam-ftl-vs-ttl.png');
}
