// Predicted vs true masks of a finished 2D segmentation run: the chosen network's best, median and worst test
// images by Dice, as PNG and as an SVG that report.html embeds. Masks come from loadPredictor, the same
// decoding and native pipeline as the run's evaluation.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import type { SegmentationDataset } from '../../data/segmentation.js';
import { TtlError } from '../../errors.js';
import { writeFileAtomic } from '../../fs/atomic.js';
import { loadPredictor, type SegmentationPrediction } from '../../predictor.js';
import { getModelCard } from '../../registry.js';
import { readJournal } from '../journal.js';
import { table } from '../results.js';
import { loadRunData } from '../run-data.js';
import { readSavedConfig } from '../config.js';
import { metricsOf } from '../task.js';

/**
 * Dice over the foreground classes present in the truth or the prediction, averaged (both empty: 1), as the
 * run's evaluation computes it per image.
 */
export function imageDice(truth: Uint8Array, predicted: Uint8Array, numClasses: number): number {
  const scores: number[] = [];
  for (let c = 1; c < numClasses; c++) {
    let both = 0;
    let inTruth = 0;
    let inPredicted = 0;
    for (let i = 0; i < truth.length; i++) {
      const t = truth[i] === c;
      const p = predicted[i] === c;
      if (t) inTruth++;
      if (p) inPredicted++;
      if (t && p) both++;
    }
    if (inTruth + inPredicted) scores.push((2 * both) / (inTruth + inPredicted));
  }
  return scores.length ? scores.reduce((a, b) => a + b, 0) / scores.length : 1;
}

/** Nearest-neighbour resize of a class map (the network may run at another resolution than the stored masks). */
function resizeNearest(mask: Uint8Array, [h, w]: number[], [oh, ow]: number[]): Uint8Array {
  if (h === oh && w === ow) return mask;
  const out = new Uint8Array(oh * ow);
  for (let y = 0; y < oh; y++) for (let x = 0; x < ow; x++) out[y * ow + x] = mask[Math.floor((y * h) / oh) * w + Math.floor((x * w) / ow)];
  return out;
}

/** The image in gray with the truth in green and the prediction in red (overlap: yellow). */
function tint(gray: Uint8Array, truth: Uint8Array | null, predicted: Uint8Array | null): Uint8Array {
  const rgb = new Uint8Array(gray.length * 3);
  for (let i = 0; i < gray.length; i++) {
    const g = gray[i];
    const t = truth !== null && truth[i] > 0;
    const p = predicted !== null && predicted[i] > 0;
    rgb[3 * i] = p ? Math.round(0.5 * g + 127) : g;
    rgb[3 * i + 1] = t ? Math.round(0.5 * g + 127) : g;
    rgb[3 * i + 2] = t || p ? Math.round(0.5 * g) : g;
  }
  return rgb;
}

const toGray = (images: Uint8Array | Uint16Array, offset: number, pixels: number, channels: number) => {
  const out = new Uint8Array(pixels);
  const scale = images instanceof Uint16Array ? 1 / 257 : 1;
  for (let i = 0; i < pixels; i++) out[i] = Math.round(images[(offset + i) * channels] * scale);
  return out;
};

export async function runMaskOverlays(dir: string, options: { signal?: AbortSignal } = {}): Promise<string> {
  const config = readSavedConfig(dir);
  if (config.task !== 'segmentation') throw new TtlError('E_BAD_ARGUMENT', 'mask overlays are for segmentation runs');
  if (getModelCard(config.model).input.frames) throw new TtlError('E_BAD_ARGUMENT', 'mask overlays are drawn for 2D segmentation runs');
  const rows = table(readJournal(join(dir, 'journal.jsonl')), metricsOf(config));
  const row = rows.find((r) => r.method === 'TTL-1') ?? rows.find((r) => r.method === 'FTL');
  if (!row) throw new TtlError('E_BAD_ARGUMENT', `${dir} has no finished FTL or TTL trial to draw`);
  const data = (await loadRunData(config)) as SegmentationDataset;
  const { test } = data;
  const [n, h, w] = test.shape;
  const channels = data.kind === 'rgb' ? 3 : 1;
  const predictor = await loadPredictor(join(dir, 'trials', `${row.strategy}-k${row.cutoff}-s${config.seed}`, 'best.safetensors'), {
    device: config.device, signal: options.signal,
  });
  try {
    const inputs = Array.from({ length: n }, (_, i) => ({
      data: test.images.subarray(i * h * w * channels, (i + 1) * h * w * channels), shape: channels === 3 ? [h, w, 3] : [h, w],
    }));
    const predicted = (await predictor.predictBatch(inputs, { signal: options.signal })) as SegmentationPrediction[];
    const masks = predicted.map((p) => resizeNearest(p.mask, p.shape.slice(-2), [h, w]));
    const dice = masks.map((m, i) => imageDice(test.masks.subarray(i * h * w, (i + 1) * h * w), m, data.classes.length));
    const order = dice.map((d, i) => [d, i]).sort((a, b) => b[0] - a[0]).map(([, i]) => i);
    const picks = [['best', order[0]], ['median', order[order.length >> 1]], ['worst', order[order.length - 1]]] as const;
    const size = 128;
    const gap = 4;
    const tile = async (rgb: Uint8Array) => sharp(Buffer.from(rgb), { raw: { width: w, height: h, channels: 3 } }).resize(size, size, { kernel: 'nearest' }).png().toBuffer();
    const tiles: { input: Buffer; left: number; top: number }[] = [];
    for (const [r, [, i]] of picks.entries()) {
      const gray = toGray(test.images, i * h * w, h * w, channels);
      const truth = test.masks.subarray(i * h * w, (i + 1) * h * w);
      for (const [c, rgb] of [tint(gray, null, null), tint(gray, truth, null), tint(gray, truth, masks[i])].entries())
        tiles.push({ input: await tile(rgb), left: c * (size + gap), top: r * (size + gap) });
    }
    const width = 3 * size + 2 * gap;
    const height = 3 * size + 2 * gap;
    const png = await sharp({ create: { width, height, channels: 3, background: '#ffffff' } }).composite(tiles).png().toBuffer();
    const out = join(dir, 'analysis');
    mkdirSync(out, { recursive: true });
    writeFileAtomic(join(out, 'masks.png'), [png]);
    const label = (text: string, x: number, y: number) => `<text x="${x}" y="${y}" text-anchor="middle" font-size="12">${text}</text>`;
    const svg = `<svg width="${width + 90}" height="${height + 20}" role="img" aria-label="Predicted vs true masks">` +
      label('image', size / 2, 14) + label('truth (green)', size * 1.5 + gap, 14) + label(`${row.method} k=${row.cutoff} (red)`, size * 2.5 + 2 * gap, 14) +
      picks.map(([name, i], r) => label(`${name}: Dice ${dice[i].toFixed(3)}`, width + 45, 20 + r * (size + gap) + size / 2)).join('') +
      `<image y="20" width="${width}" height="${height}" href="data:image/png;base64,${png.toString('base64')}"/></svg>`;
    writeFileAtomic(join(out, 'masks.svg'), [svg]);
    writeFileAtomic(join(out, 'masks.json'), [JSON.stringify({ trial: `${row.strategy}-k${row.cutoff}-s${config.seed}`, dice, picks: Object.fromEntries(picks) }) + '\n']);
    return join(out, 'masks.png');
  } finally {
    await predictor.close();
  }
}
