// A side-by-side Grad-CAM figure for a finished run: test images, then the FTL and TTL models' heatmaps
// (the rows' chosen trials), written as PNG and as an SVG that report.html embeds.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { imageRows } from '../../data/dataset.js';
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
  const [h, w] = data.test.shape.slice(1);
  const { mean, std } = normalisation(card, config.weights);
  const grays = await Promise.all(Array.from({ length: count }, (_, i) =>
    sharp(Buffer.from(imageRows(data.test, i, i + 1)), { raw: { width: w, height: h, channels: 1 } })
      .resize(size, size, { fit: 'fill' }).toColourspace('b-w').raw().toBuffer().then((b) => new Uint8Array(b))));
  const input = new Float32Array(count * 3 * size * size);
  grays.forEach((g, n) => {
    for (let c = 0; c < 3; c++) for (let i = 0; i < size * size; i++) input[(n * 3 + c) * size * size + i] = (g[i] / 255 - mean[c]) / std[c];
  });
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
