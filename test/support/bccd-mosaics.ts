// Multi-label images with exact labels: mosaics of 2 x 2 real BCCD blood-cell crops (../shared/data/bccd-cells),
// labelled with the cell types they contain. Each mosaic draws a non-empty set of types (all 7 alike, so every label
// is present in 4 of 7 mosaics), shows each of them at least once and fills the other tiles from the same set.
// Crops keep the BCCD split of their source smear, so no smear feeds two splits. Written to a folder the caller
// owns, never to the repository.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { rng } from '../../src/data/split.js';
import { shared } from './helpers.js';

export const CELL_TYPES = ['Platelets', 'RBC', 'WBC'] as const;
const bccd = join(shared, 'data', 'bccd-cells');

export interface MosaicOptions {
  /** Mosaics per split. */
  counts: { train: number; val: number; test: number };
  /** Side of one tile (the crops are 64 px); the mosaic is twice that. */
  tile?: number;
  seed?: number;
}

/** The BCCD crops by split and cell type, from the set's own label file. */
function crops(): Map<string, Map<string, string[]>> {
  const [header, ...lines] = readFileSync(join(bccd, 'crops64_labels.csv'), 'utf8').trim().split(/\r?\n/);
  const col = header.split(',');
  const [file, type, split] = ['file', 'label_name', 'split'].map((c) => col.indexOf(c));
  const out = new Map<string, Map<string, string[]>>();
  for (const line of lines) {
    const cells = line.split(',');
    const bySplit = out.get(cells[split]) ?? out.set(cells[split], new Map()).get(cells[split])!;
    bySplit.set(cells[type], [...(bySplit.get(cells[type]) ?? []), join(bccd, cells[file])]);
  }
  return out;
}

/**
 * Writes the mosaics (PNG) and `mosaics.csv` (file,labels,split with '|'-separated cell types) into `dir`; returns
 * the CSV's path and each row's true label set.
 */
export async function writeBccdMosaics(dir: string, options: MosaicOptions): Promise<{ csv: string; rows: { file: string; labels: string[]; split: string }[] }> {
  const tile = options.tile ?? 32;
  const random = rng(options.seed ?? 1);
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)];
  const pool = crops();
  mkdirSync(join(dir, 'mosaics'), { recursive: true });
  const rows: { file: string; labels: string[]; split: string }[] = [];
  for (const split of ['train', 'val', 'test'] as const) {
    for (let i = 0; i < options.counts[split]; i++) {
      const mask = 1 + Math.floor(random() * 7);  // a non-empty subset of the 3 types, as bits
      const set = CELL_TYPES.filter((_, t) => (mask >> t) & 1);
      const tiles = [...set, ...Array.from({ length: 4 - set.length }, () => pick(set))].sort(() => random() - 0.5);
      const images = await Promise.all(tiles.map((type) => sharp(pick(pool.get(split)!.get(type)!)).resize(tile, tile).removeAlpha().png().toBuffer()));
      const file = join('mosaics', `${split}_${i}.png`);
      await sharp({ create: { width: 2 * tile, height: 2 * tile, channels: 3, background: '#000' } })
        .composite(images.map((input, t) => ({ input, left: (t % 2) * tile, top: Math.floor(t / 2) * tile })))
        .png().toFile(join(dir, file));
      rows.push({ file, labels: [...set], split });
    }
  }
  const csv = join(dir, 'mosaics.csv');
  writeFileSync(csv, ['file,labels,split', ...rows.map((r) => `${r.file},${r.labels.join('|')},${r.split}`)].join('\n') + '\n');
  return { csv, rows };
}
