// Multi-label datasets: CSV manifests with a findings column (the NIH Data_Entry_2017.csv layout) or 0/1 label
// columns, MedMNIST .npz files with [N, L] labels, and the coded refusals of bad manifests, on real BCCD mosaics.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadDataset, type ImageDataset } from '../../src/data/index.js';
import { CELL_TYPES, writeBccdMosaics } from '../support/bccd-mosaics.js';
// @ts-expect-error the fuzzer's writers are plain ES modules
import { npyBytes } from '../../fuzz/formats/npy.mjs';
// @ts-expect-error the fuzzer's writers are plain ES modules
import { zipBytes } from '../../fuzz/formats/zip.mjs';

let dir: string;
let mosaics: Awaited<ReturnType<typeof writeBccdMosaics>>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ttl-multilabel-data-'));
  mosaics = await writeBccdMosaics(dir, { counts: { train: 12, val: 6, test: 6 } });
});

/** Each split's rows of targets as label-name sets, in the split's order. */
const labelSets = (data: ImageDataset, split: 'train' | 'val' | 'test') => {
  const L = data.classes.length;
  return Array.from({ length: data[split].shape[0] }, (_, i) => data.classes.filter((_, l) => data[split].targets![i * L + l] === 1));
};
const write = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe('multi-label CSV manifests', () => {
  it("a 'labels' column of '|'-separated findings is read as multi-label: every mosaic's targets are its cell types", async () => {
    const { dataset } = await loadDataset(mosaics.csv, { size: 32 });
    expect(dataset.classes).toEqual([...CELL_TYPES]);
    for (const split of ['train', 'val', 'test'] as const) {
      expect(dataset[split].shape).toEqual([mosaics.rows.filter((r) => r.split === split).length, 32, 32, 3]);
      expect(labelSets(dataset, split)).toEqual(mosaics.rows.filter((r) => r.split === split).map((r) => [...r.labels].sort()));
      expect([...dataset[split].labels].every((l) => l === 0)).toBe(true);
    }
  });

  it("the NIH layout: named columns, 'No Finding' as the empty set, a seeded split that keeps patients together", async () => {
    const rows = mosaics.rows.map((r, i) => `${r.file},${i % 5 === 0 ? 'No Finding' : r.labels.join('|')},p${i % 8}`);
    const csv = write('Data_Entry.csv', ['Image Index,Finding Labels,Patient ID', ...rows].join('\n'));
    const { dataset } = await loadDataset(csv, { size: 32, columns: { file: 'Image Index', labels: 'Finding Labels', patient: 'Patient ID' } });
    const all = (['train', 'val', 'test'] as const).flatMap((s) => labelSets(dataset, s));
    expect(all.length).toBe(mosaics.rows.length);
    expect(all.filter((s) => s.length === 0).length).toBe(mosaics.rows.filter((_, i) => i % 5 === 0).length);
    const perLabel = (sets: string[][]) => CELL_TYPES.map((t) => sets.filter((s) => s.includes(t)).length);
    expect(perLabel(all)).toEqual(perLabel(mosaics.rows.map((r, i) => (i % 5 === 0 ? [] : r.labels))));
  });

  it('one 0/1 column per label (columns.labelColumns)', async () => {
    const rows = mosaics.rows.map((r) => [r.file, ...CELL_TYPES.map((t) => (r.labels.includes(t) ? '1' : '0')), r.split].join(','));
    const csv = write('columns.csv', [`path,${CELL_TYPES.join(',')},split`, ...rows].join('\n'));
    const { dataset } = await loadDataset(csv, { size: 32, columns: { file: 'path', labelColumns: ['WBC', 'RBC'] } });
    expect(dataset.classes).toEqual(['RBC', 'WBC']);
    expect(labelSets(dataset, 'test')).toEqual(mosaics.rows.filter((r) => r.split === 'test').map((r) => ['RBC', 'WBC'].filter((t) => r.labels.includes(t))));
  });
});

describe('bad multi-label manifests: a coded error naming the file and row', () => {
  it('a label column that mixes single- and multi-label forms', async () => {
    const csv = write('mixed.csv', ['file,label', `${mosaics.rows[0].file},WBC`, `${mosaics.rows[1].file},RBC|WBC`].join('\n'));
    await expect(loadDataset(csv, { size: 32 })).rejects.toMatchObject({
      code: 'E_BAD_INPUT', message: expect.stringMatching(/^mixed\.csv line 3: label 'RBC\|WBC' lists several '\|'-separated findings while mixed\.csv line 2 has the single label 'WBC'/),
    });
  });

  it('a finding that is not among the labels the caller gave', async () => {
    const csv = write('unknown.csv', ['file,labels', `${mosaics.rows[0].file},WBC`, `${mosaics.rows[1].file},RBC|Neutrophil`].join('\n'));
    await expect(loadDataset(csv, { size: 32, classes: [...CELL_TYPES] })).rejects.toMatchObject({
      code: 'E_BAD_INPUT', message: "unknown.csv line 3: finding 'Neutrophil' not among the labels Platelets, RBC, WBC",
    });
  });

  it('an image without findings where the dataset requires one', async () => {
    const csv = write('empty.csv', ['file,labels', `${mosaics.rows[0].file},WBC`, `${mosaics.rows[1].file},No Finding`].join('\n'));
    await expect(loadDataset(csv, { size: 32, findings: { allowEmpty: false } })).rejects.toMatchObject({
      code: 'E_BAD_INPUT', message: expect.stringMatching(/^empty\.csv line 3: has no finding/),
    });
    // The same row is a negative for every label by default.
    const { dataset } = await loadDataset(csv, { size: 32, fractions: { val: 0, test: 0 } });
    expect(labelSets(dataset, 'train').sort()).toEqual([[], ['WBC']]);
  });

  it('an empty findings cell and a label column that is not 0/1', async () => {
    const csv = write('blank.csv', ['file,labels', `${mosaics.rows[0].file},`].join('\n'));
    await expect(loadDataset(csv, { size: 32 })).rejects.toMatchObject({ code: 'E_BAD_INPUT', message: expect.stringMatching(/^blank\.csv line 2: the findings column 'labels' is empty/) });
    const three = write('three.csv', ['file,WBC', `${mosaics.rows[0].file},-1`].join('\n'));
    await expect(loadDataset(three, { size: 32, columns: { labelColumns: ['WBC'] } })).rejects.toMatchObject({
      code: 'E_BAD_INPUT', message: "three.csv line 2: label column 'WBC' holds '-1'; each label column holds 0 or 1",
    });
  });
});

describe('MedMNIST .npz with [N, L] labels', () => {
  const npz = (labels: Uint8Array, width: number) => {
    const images = new Uint8Array(4 * 8 * 8).map((_, i) => i % 251);
    const entries = ['train', 'val', 'test'].flatMap((s) => [
      { name: `${s}_images.npy`, data: npyBytes('|u1', [4, 8, 8], images) },
      { name: `${s}_labels.npy`, data: npyBytes('|u1', [4, width], labels) },
    ]);
    return write(`ml-${width}-${labels[0]}.npz`, zipBytes(entries));
  };

  it('reads a multi-label task (ChestMNIST-style) with the column indices as label names', async () => {
    const labels = Uint8Array.from([1, 0, 1, 0, 0, 0, 1, 1, 0, 0, 1, 1]);
    const { dataset } = await loadDataset(npz(labels, 3));
    expect(dataset.classes).toEqual(['0', '1', '2']);
    expect([...dataset.test.targets!]).toEqual([...labels]);
  });

  it('refuses a label that is not 0 or 1, naming the split, row and column', async () => {
    const path = npz(Uint8Array.from([0, 0, 1, 0, 2, 0, 1, 1, 0, 0, 1, 1]), 3);
    await expect(loadDataset(path)).rejects.toMatchObject({ code: 'E_BAD_INPUT', message: `${path}: train_labels[1, 1] is 2; multi-label labels must be 0 or 1` });
    expect(basename(path)).toMatch(/\.npz$/);
  });
});
