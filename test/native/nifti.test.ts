// The NIfTI reader reproduces nibabel's view of five real CT/MR files (../shared/data/nifti-samples).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readNifti } from '../../src/data/index.js';
import { shared } from '../support/helpers.js';

const dir = join(shared, 'data', 'nifti-samples');
const reference = JSON.parse(readFileSync(join(dir, 'reference_stats.json'), 'utf8'));

describe.each(Object.keys(reference))('%s', (file) => {
  const ref = reference[file];
  it('matches shape, dtype, offsets, affine, orientation and voxel statistics', () => {
    const v = readNifti(join(dir, file));
    expect(v.shape).toEqual(ref.shape);
    expect(v.dtype).toBe(ref.dtype);
    expect(v.datatype).toBe(ref.nifti_datatype);
    expect(v.voxOffset).toBe(ref.vox_offset);
    expect(v.pixdim.map((p) => +p.toFixed(4))).toEqual(ref.pixdim);
    expect(v.axcodes).toBe(ref.axcodes);
    v.affine.flat().forEach((a, i) => expect(a).toBeCloseTo(ref.affine.flat()[i], 4));
    let min = Infinity, max = -Infinity, sum = 0;
    for (const x of v.data) (min = Math.min(min, x)), (max = Math.max(max, x)), (sum += x);
    expect([min, max, sum]).toEqual([ref.min, ref.max, ref.sum]);
    expect(sum / v.data.length).toBeCloseTo(ref.mean, 5);
    const [nx, ny] = v.shape;
    const at = (x: number, y: number, z: number) => v.data[x + nx * (y + ny * z)];
    expect(at(0, 0, 0)).toBe(ref.first_voxel_xyz000);
    expect(at(v.shape[0] >> 1, v.shape[1] >> 1, v.shape[2] >> 1)).toBe(ref.center_voxel);
    if (ref.labels_present) expect([...new Set(v.data)].sort((a, b) => a - b)).toEqual(ref.labels_present);
  });
});

describe('bad NIfTI files', () => {
  it('a truncated volume is refused naming the file', async () => {
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const { gunzipSync } = await import('node:zlib');
    const { tmpdir } = await import('node:os');
    const raw = gunzipSync(readFileSync(join(dir, 'example_seg.nii.gz')));
    const path = join(mkdtempSync(join(tmpdir(), 'ttl-nii-')), 'cut.nii');
    writeFileSync(path, raw.subarray(0, 20000));
    expect(() => readNifti(path)).toThrow(`${path}: not a readable NIfTI-1 file (the voxel data is truncated`);
  });
});
