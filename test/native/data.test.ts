// Dataset sources with real decoders: MedMNIST .npz, CSV manifests (BCCD crops), image folders with
// 8/16-bit PNG and JPEG (sharp), DICOM (dicom-parser), seeded stratified and patient-level splits.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { finetune } from '../../src/index.js';
import { describeDataset, loadDataset, readDicom, readDicomSeries, readMedMNIST, stratifiedSplit } from '../../src/data/index.js';
import { dicomBytes } from '../support/dicom-writer.js';
import { shared } from '../support/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'ttl-data-'));
const pneumonia = readMedMNIST(join(shared, 'data', 'pneumoniamnist', 'pneumoniamnist.npz'));

describe('MedMNIST .npz', () => {
  it('reads the official splits with class counts', async () => {
    const { dataset } = await loadDataset(join(shared, 'data', 'breastmnist', 'breastmnist.npz'));
    expect(describeDataset(dataset)).toBe('breastmnist: 2 classes [0, 1], train 546 (147/399), val 78 (21/57), test 156 (42/114)');
    expect(dataset.train.shape).toEqual([546, 28, 28]);
  });

  it('reads 3D volumes as volumes', () => {
    const d = readMedMNIST(join(shared, 'data', 'adrenalmnist3d', 'adrenalmnist3d.npz'));
    expect(d.kind).toBe('volume');
    expect(d.train.shape).toEqual([1188, 28, 28, 28]);
  });

  it('a truncated .npz is refused naming the file', async () => {
    const { readFileSync } = await import('node:fs');
    const bytes = readFileSync(join(shared, 'data', 'breastmnist', 'breastmnist.npz'));
    const cut = join(dir, 'cut.npz');
    writeFileSync(cut, bytes.subarray(0, 5000));
    await expect(loadDataset(cut)).rejects.toMatchObject({ code: 'E_BAD_INPUT', message: expect.stringContaining(`${cut}: not a readable MedMNIST .npz file`) });
  });
});

describe('CSV manifest of real PNG crops (BCCD blood cells)', () => {
  it('decodes RGB crops with the given splits and column names', async () => {
    const { dataset } = await loadDataset(join(shared, 'data', 'bccd-cells', 'crops64_labels.csv'), {
      size: 32, columns: { label: 'label_name' },
    });
    expect(dataset.kind).toBe('rgb');
    expect(dataset.classes).toEqual(['Platelets', 'RBC', 'WBC']);
    const total = (['train', 'val', 'test'] as const).reduce((n, s) => n + dataset[s].labels.length, 0);
    expect(total).toBe(4153 + 372 + 361);
    expect(dataset.train.shape.slice(1)).toEqual([32, 32, 3]);
    expect(describeDataset(dataset)).toMatch(/^crops64_labels: 3 classes \[Platelets, RBC, WBC\], train \d+ \(\d+\/\d+\/\d+\)/);
  }, 120_000);
});

describe('image folders, 16-bit PNG, JPEG, bad files', () => {
  const root = join(dir, 'folder');
  beforeAll(async () => {
    for (const label of ['normal', 'pneumonia']) mkdirSync(join(root, label), { recursive: true });
    for (let i = 0; i < 40; i++) {
      const label = pneumonia.train.labels[i] ? 'pneumonia' : 'normal';
      const pixels = Buffer.from(pneumonia.train.images.subarray(i * 784, (i + 1) * 784));
      const image = sharp(pixels, { raw: { width: 28, height: 28, channels: 1 } }).toColourspace('b-w');
      if (i % 3 === 0) await image.jpeg().toFile(join(root, label, `${i}.jpg`));
      else await image.png().toFile(join(root, label, `${i}.png`));
    }
  });

  it('decodes a class-per-folder tree and splits it, stratified and seeded', async () => {
    const a = await loadDataset(root, { size: 28, seed: 3 });
    const b = await loadDataset(root, { size: 28, seed: 3 });
    expect(a.dataset.classes).toEqual(['normal', 'pneumonia']);
    expect(a.dataset.kind).toBe('gray');
    expect(a.dataset.train.labels.length + a.dataset.val.labels.length + a.dataset.test.labels.length).toBe(40);
    expect([...a.dataset.test.labels]).toEqual([...b.dataset.test.labels]);
    for (const s of ['train', 'val', 'test'] as const) expect(new Set(a.dataset[s].labels).size).toBe(2);
  });

  it('keeps 16-bit PNG samples at 16 bits', async () => {
    const root16 = join(dir, 'sixteen');
    for (const label of ['a', 'b']) mkdirSync(join(root16, label), { recursive: true });
    const ramp = Uint16Array.from({ length: 16 * 16 }, (_, i) => i * 257);
    for (const label of ['a', 'b'])
      for (let i = 0; i < 5; i++)
        await sharp(ramp, { raw: { width: 16, height: 16, channels: 1 } }).toColourspace('grey16').png().toFile(join(root16, label, `${i}.png`));
    const { dataset } = await loadDataset(root16, { size: 16, fractions: { val: 0.2, test: 0.2 } });
    expect(dataset.train.images).toBeInstanceOf(Uint16Array);
    expect(dataset.train.images[255]).toBe(255 * 257);
    expect(dataset.train.images[1]).toBe(257); // not a multiple of 256: the low byte survived
  });

  it('a corrupt image fails naming the file; skipBad turns it into a counted warning', async () => {
    writeFileSync(join(root, 'normal', 'broken.png'), 'this is not a png');
    await expect(loadDataset(root, { size: 28 })).rejects.toMatchObject({ code: 'E_BAD_IMAGE', message: expect.stringMatching(/^normal\/broken\.png: /) });
    const warnings: string[] = [];
    const { report, dataset } = await loadDataset(root, { size: 28, skipBad: true, onWarning: (w) => warnings.push(w) });
    expect(report.skipped.map((s) => s.origin)).toEqual(['normal/broken.png']);
    expect(warnings).toHaveLength(1);
    expect(dataset.train.labels.length + dataset.val.labels.length + dataset.test.labels.length).toBe(40);
  });
});

describe('CSV manifests: labels, splits, patients', () => {
  const files: string[] = [];
  beforeAll(async () => {
    mkdirSync(join(dir, 'csv'), { recursive: true });
    for (let i = 0; i < 24; i++) {
      const name = `img${i}.png`;
      await sharp(Buffer.from(pneumonia.train.images.subarray(i * 784, (i + 1) * 784)), { raw: { width: 28, height: 28, channels: 1 } }).toColourspace('b-w').png().toFile(join(dir, 'csv', name));
      files.push(name);
    }
  });
  const write = (name: string, lines: string[]) => {
    writeFileSync(join(dir, 'csv', name), lines.join('\n'));
    return join(dir, 'csv', name);
  };

  it('a label outside the class list names the line', async () => {
    const path = write('bad-label.csv', ['file,label', ...files.map((f, i) => `${f},${i === 5 ? 'cat' : i % 2 ? 'sick' : 'healthy'}`)]);
    await expect(loadDataset(path, { classes: ['healthy', 'sick'] })).rejects.toThrow(
      "bad-label.csv line 7: label 'cat' is not one of the classes healthy, sick",
    );
  });

  it('a missing column is named with the columns found', async () => {
    const path = write('no-label.csv', ['file,diagnosis', `${files[0]},x`]);
    await expect(loadDataset(path)).rejects.toThrow("no-label.csv: no 'label' column (columns: file, diagnosis)");
  });

  it('patients never cross splits, whether split by us or given', async () => {
    const lines = ['file,label,patient', ...files.map((f, i) => `${f},${i % 2 ? 'sick' : 'healthy'},P${Math.floor(i / 3)}`)];
    const { dataset } = await loadDataset(write('patients.csv', lines), { size: 28, fractions: { val: 0.25, test: 0.25 }, seed: 1 });
    expect(dataset.train.labels.length + dataset.val.labels.length + dataset.test.labels.length).toBe(24);
    const splits = stratifiedSplit(files.map((_, i) => i % 2), files.map((_, i) => `P${Math.floor(i / 3)}`), { val: 0.25, test: 0.25 }, 1);
    for (let p = 0; p < 8; p++) expect(new Set(splits.slice(3 * p, 3 * p + 3)).size).toBe(1);
    const leaky = write('leaky.csv', ['file,label,split,patient', `${files[0]},a,train,P1`, `${files[1]},b,test,P1`]);
    await expect(loadDataset(leaky)).rejects.toThrow(/patient P1 is in both train \(leaky\.csv line 2\) and test \(leaky\.csv line 3\)/);
  });
});

describe('DICOM', () => {
  it('applies rescale slope/intercept, the window, and MONOCHROME1 inversion', () => {
    const stored = Int16Array.from([0, 50, 100, 150]); // HU = 2 * stored - 100 -> -100, 0, 100, 200
    const path = join(dir, 'ct.dcm');
    writeFileSync(path, dicomBytes({ rows: 2, columns: 2, pixels: stored, slope: 2, intercept: -100, window: [50, 200] }));
    const image = readDicom(path);
    // The standard's LINEAR window (PS3.3 C.11.2.1.2.1): centre 50, width 200 maps (c - 0.5) -+ (w - 1) / 2, i.e. -50 and 149, to 0 and 1.
    expect([...image.pixels].map((v) => +v.toFixed(4))).toEqual([0, 0.2513, 0.7538, 1]);
    const inverted = join(dir, 'cr.dcm');
    writeFileSync(inverted, dicomBytes({ rows: 1, columns: 2, pixels: Uint16Array.from([0, 1000]), photometric: 'MONOCHROME1' }));
    expect([...readDicom(inverted).pixels]).toEqual([1, 0]);
  });

  it('stacks a series by ImagePositionPatient along the slice normal, in HU', () => {
    const series = join(dir, 'series');
    mkdirSync(series, { recursive: true });
    const zs = [12.5, 2.5, 7.5, -2.5]; // written out of order
    zs.forEach((z, i) => writeFileSync(join(series, `slice${i}.dcm`), dicomBytes({
      rows: 2, columns: 3, pixels: Int16Array.from({ length: 6 }, (_, j) => z * 10 + j), slope: 1, intercept: -1024,
      position: [-10, -20, z], orientation: [1, 0, 0, 0, 1, 0], pixelSpacing: [0.7, 0.6],
    })));
    const volume = readDicomSeries(series);
    expect(volume.shape).toEqual([3, 2, 4]);
    expect(volume.spacing).toEqual([0.6, 0.7, 5]);
    expect([0, 1, 2, 3].map((z) => volume.values[z * 6])).toEqual([-25, 25, 75, 125].map((v) => v - 1024));
    expect(volume.values[6 + 5]).toBe(25 + 5 - 1024);
  });

  it('refuses compressed and malformed files clearly', () => {
    const jpeg = join(dir, 'jpeg.dcm');
    writeFileSync(jpeg, dicomBytes({ rows: 1, columns: 1, pixels: Uint16Array.from([1]), transferSyntax: '1.2.840.10008.1.2.4.50' }));
    // Native bytes under a JPEG transfer syntax: no encapsulated frame to decode.
    expect(() => readDicom(jpeg)).toThrow(`${jpeg}: (7FE0,0010) PixelData: frame 1 of 1 cannot be read from the encapsulated fragments`);
    const junk = join(dir, 'junk.dcm');
    writeFileSync(junk, Buffer.alloc(300));
    expect(() => readDicom(junk)).toThrow(`${junk}: not DICOM: no DICM preamble at byte 128`);
  });

  it('a folder of DICOM files trains like any other source', async () => {
    const root = join(dir, 'dicom');
    for (const label of ['a', 'b']) mkdirSync(join(root, label), { recursive: true });
    for (let i = 0; i < 24; i++) {
      const label = i % 2 ? 'b' : 'a';
      const pixels = Int16Array.from({ length: 32 * 32 }, (_, j) => (label === 'b' ? (j % 32) * 40 : 600) - 500 + ((i * 7 + j) % 13));
      writeFileSync(join(root, label, `${i}.dcm`), dicomBytes({ rows: 32, columns: 32, pixels, slope: 1, intercept: -1024 }));
    }
    const result = await finetune({
      model: 'resnet18', strategy: { kind: 'ttl', cutoff: 3 }, data: root, dataOptions: { size: 32, fractions: { val: 0.25, test: 0.25 } },
      imageSize: 32, epochs: 1, batchSize: 8, lr: 0.01, device: 'cpu',
    });
    expect(result.k).toBe(3);
    expect(result.test.auroc).toBeGreaterThanOrEqual(0);
  });
});
