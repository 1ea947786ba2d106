// NRRD, MetaImage and multi-frame DICOM volumes against ITK: the shared NIfTI samples re-encoded by SimpleITK (ITK's
// NrrdIO, MetaIO and GDCM writers) and by teem's `unu` (the NRRD reference implementation: text, hex, big endian),
// then read back by SimpleITK (test/support/tools/volume_files.py, in the test venv). Every voxel must equal ITK's,
// and the spacing too; malformed files are refused naming the file and the field.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDataset, readVolume } from '../../src/data/index.js';
import { root, shared } from '../support/paths.js';
import { venvLacks, venvPython } from '../support/test-venv.js';

const unu = 'teem-unu';
const lacking = [venvLacks(['SimpleITK', 'numpy', 'pydicom']), spawnSync('which', [unu]).status !== 0 ? `${unu} (Debian's teem-apps)` : undefined].filter(Boolean).join('; ') || undefined;
const work = mkdtempSync(join(tmpdir(), 'ttl-volume-files-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Reference { name: string; size: number[]; spacing: number[]; type: string }
let references: Reference[] = [];

beforeAll(() => {
  if (lacking) return;
  const r = spawnSync(venvPython, [join(root, 'test', 'support', 'tools', 'volume_files.py'), join(shared, 'data', 'nifti-samples'), work, unu], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`volume_files.py failed: ${r.stderr}`);
  references = JSON.parse(r.stdout) as Reference[];
}, 120_000);

describe.skipIf(!!lacking && !process.env.CI)('NRRD, MetaImage and multi-frame DICOM against ITK', () => {
  it('SimpleITK and teem are installed', () => {
    expect(lacking, `missing ${lacking}: run bash scripts/setup.sh --test`).toBeUndefined();
    // 19 files: NRRD attached and detached, raw, gzip, text, hex, big endian; MetaImage .mha and .mhd, zlib or not,
    // big endian, text; multi-frame DICOM (ITK's, frames reversed, rescale in a functional group); int8, uint8,
    // int16, uint16, float32, float64 voxels.
    expect(references.map((r) => r.name).sort()).toHaveLength(19);
    expect(new Set(references.map((r) => r.type))).toEqual(new Set(['16-bit signed integer', '16-bit unsigned integer', '8-bit unsigned integer', '8-bit signed integer', '32-bit float', '64-bit float']));
  });

  it('every file reads to ITK\'s voxels, size and spacing', () => {
    for (const ref of references) {
      const volume = readVolume(join(work, ref.name));
      const expected = new Float32Array(readFileSync(join(work, `${ref.name}.ref.f32`)).buffer.slice(0));
      expect(volume.shape, ref.name).toEqual(ref.size);
      volume.spacing.forEach((s, i) => expect(s, `${ref.name} spacing ${i}`).toBeCloseTo(ref.spacing[i], 9));
      expect(volume.values.length, ref.name).toBe(expected.length);
      let wrong = 0;
      for (let i = 0; i < expected.length; i++) if (volume.values[i] !== expected[i]) wrong++;
      expect(wrong, `${ref.name}: voxels unlike ITK's`).toBe(0);
    }
  });

  it("multi-frame DICOM files load as volumes under the 'volume' frame policy", async () => {
    const folder = join(work, 'multiframe');
    for (const [label, name] of [['ct', 'ct_multiframe.dcm'], ['ct', 'ct_multiframe_rescaled.dcm'], ['mr', 'mr_multiframe.dcm'], ['mr', 'mr_multiframe_reversed.dcm']]) {
      mkdirSync(join(folder, label), { recursive: true });
      writeFileSync(join(folder, label, name.replace('.dcm', '')), readFileSync(join(work, name))); // named as a PACS names them: no extension
    }
    await expect(loadDataset(folder, { size: 16, cache: false })).rejects.toMatchObject({ message: expect.stringMatching(/NumberOfFrames is \d+: a multi-frame object needs a frame policy/) });
    const { dataset } = await loadDataset(folder, { volumeShape: [12, 10, 8], intensity: [0, 1000], dicom: { frame: 'volume' }, fractions: { val: 0, test: 0 }, cache: false });
    expect(dataset.kind).toBe('volume');
    expect(dataset.train.shape).toEqual([4, 8, 10, 12]);
  });

  it('a folder of NRRD and MetaImage files loads as a volume dataset', async () => {
    const folder = join(work, 'folder');
    for (const [label, names] of Object.entries({ ct: ['ct_gzip.nrrd', 'ct_raw_big.nrrd', 'ct_float32_zlib.mhd'], mr: ['mr_zlib.mha', 'mr_detached.nhdr', 'mr_raw.mha'] })) {
      mkdirSync(join(folder, label), { recursive: true });
      for (const name of names) {
        writeFileSync(join(folder, label, name), readFileSync(join(work, name)));
        // Detached data travels with its header.
        for (const data of [/^data file: (.*)$/m, /^ElementDataFile = (?!LOCAL)(.*)$/m].map((re) => re.exec(readFileSync(join(work, name), 'latin1'))?.[1]))
          if (data) writeFileSync(join(folder, label, data), readFileSync(join(work, data)));
      }
    }
    const { dataset } = await loadDataset(folder, { volumeShape: [12, 10, 8], intensity: 'minmax', fractions: { val: 0, test: 0 }, cache: false });
    expect(dataset.kind).toBe('volume');
    expect(dataset.classes).toEqual(['ct', 'mr']);
    expect(dataset.train.shape).toEqual([6, 8, 10, 12]);
  });
});

describe('malformed NRRD and MetaImage files', () => {
  const write = (name: string, data: string | Buffer) => {
    const path = join(work, 'bad', name);
    mkdirSync(join(work, 'bad'), { recursive: true });
    writeFileSync(path, data);
    return path;
  };
  const nrrd = (fields: string, data: Buffer | string = Buffer.alloc(24)) => Buffer.concat([Buffer.from(`NRRD0004\ntype: short\ndimension: 3\nsizes: 2 3 2\nendian: little\n${fields}\n`), Buffer.from(data)]);
  const mha = (fields: string, data: Buffer = Buffer.alloc(24)) =>
    Buffer.concat([Buffer.from(`ObjectType = Image\nNDims = 3\nDimSize = 2 3 2\nElementType = MET_SHORT\n${fields}ElementDataFile = LOCAL\n`), data]);
  const refusals: [string, string | Buffer, RegExp][] = [
    ['bz.nrrd', nrrd('encoding: bzip2\n'), /bzip2 encoding is not read/],
    ['outside.nhdr', nrrd('encoding: raw\ndata file: ../../etc/hostname\n'), /data file '..\/..\/etc\/hostname' is outside the header's folder/],
    ['list.nhdr', nrrd('encoding: raw\ndata file: slice%03d.raw 1 2 1\n'), /spreads the voxels over several files/],
    ['short.nrrd', nrrd('encoding: raw\n', Buffer.alloc(10)), /voxel data is truncated \(10 of 24 bytes\)/],
    ['vector.nrrd', 'NRRD0004\ntype: float\ndimension: 4\nsizes: 3 2 2 2\nkinds: vector domain domain domain\nendian: little\nencoding: raw\n\n', /axis 0 is of kind 'vector'/],
    ['noendian.nrrd', 'NRRD0004\ntype: short\ndimension: 3\nsizes: 2 3 2\nencoding: raw\n\n', /'endian' field is missing/],
    ['huge.nrrd', nrrd('encoding: raw\n').toString('latin1').replace('sizes: 2 3 2', 'sizes: 4096 4096 4096'), /over the 1 GiB limit/],
    ['text.nrrd', nrrd('encoding: ascii\n', '1 2 3 x 5'), /voxel 3 is 'x', not a number/],
    ['rgb.mha', mha('ElementNumberOfChannels = 3\n'), /ElementNumberOfChannels = 3/],
    ['type.mha', mha('').toString('latin1').replace('MET_SHORT', 'MET_STRING'), /ElementType 'MET_STRING' is not one of/],
    ['bomb.mha', mha('CompressedData = True\n', deflateSync(Buffer.alloc(1 << 20))), /inflates to more than the 24 bytes its header declares/],
    ['nodata.mhd', 'NDims = 3\nDimSize = 2 3 2\nElementType = MET_SHORT\n', /no ElementDataFile line/],
    ['missing.mhd', mha('').toString('latin1').replace('LOCAL', 'gone.raw'), /data file 'gone.raw' does not exist/],
  ];
  it.each(refusals)('%s is refused naming the file and what is wrong', (name, data, message) => {
    const path = write(name, data);
    let caught: unknown;
    try {
      readVolume(path);
    } catch (e) {
      caught = e;
    }
    expect(caught).toMatchObject({ code: 'E_BAD_IMAGE' });
    expect((caught as Error).message).toContain(path);
    expect((caught as Error).message).toMatch(message);
  });

  it('a raw NRRD and a MetaImage written here read back in x-fastest order', () => {
    const voxels = Buffer.alloc(24);
    for (let i = 0; i < 12; i++) voxels.writeInt16LE(i * 100 - 500, 2 * i);
    const a = readVolume(write('ok.nrrd', nrrd('encoding: raw\nspace directions: (2,0,0) (0,0.5,0) (0,0,3)\n', voxels)));
    const b = readVolume(write('ok.mha', mha('ElementSpacing = 2 0.5 3\n', voxels)));
    for (const v of [a, b]) {
      expect(v.shape).toEqual([2, 3, 2]);
      expect(v.spacing).toEqual([2, 0.5, 3]);
      expect([...v.values]).toEqual(Array.from({ length: 12 }, (_, i) => i * 100 - 500));
    }
  });
});
