// NIfTI-1 (.nii / .nii.gz): header (either byte order), extensions skipped via vox_offset, sform/qform
// affine, scl_slope/scl_inter, uint8/int8/int16/uint16/int32/uint32/float32/float64 voxels (x fastest).
import { constants as zlibConstants, gunzipSync } from 'node:zlib';
import { TtlError } from '../../errors.js';
import { inflateAtMost, MAX_VOXEL_BYTES, readWholeFile } from './voxels.js';

export type VoxelArray = Uint8Array | Int8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array;

export interface NiftiVolume {
  /** Voxel counts along x, y, z (and t when 4D). */
  shape: number[];
  dtype: string;
  datatype: number;
  voxOffset: number;
  pixdim: number[];
  /** Voxel (i, j, k, 1) to world (mm) 4x4, from sform, else qform, else pixdim. */
  affine: number[][];
  /** e.g. 'RAS', 'LPS': where each voxel axis points (nibabel's aff2axcodes). */
  axcodes: string;
  sclSlope: number;
  sclInter: number;
  /** Raw stored values; `scaled()` applies scl_slope / scl_inter. */
  data: VoxelArray;
}

const TYPES: Record<number, [string, number, new (b: ArrayBuffer) => VoxelArray]> = {
  2: ['uint8', 1, Uint8Array], 4: ['int16', 2, Int16Array], 8: ['int32', 4, Int32Array], 16: ['float32', 4, Float32Array],
  64: ['float64', 8, Float64Array], 256: ['int8', 1, Int8Array], 512: ['uint16', 2, Uint16Array], 768: ['uint32', 4, Uint32Array],
};

function quaternAffine(view: DataView, le: boolean, pixdim: number[]): number[][] {
  const [b, c, d] = [256, 260, 264].map((o) => view.getFloat32(o, le));
  const a = Math.sqrt(Math.max(0, 1 - (b * b + c * c + d * d)));
  const qfac = pixdim[0] < 0 ? -1 : 1;
  const [dx, dy, dz] = [pixdim[1], pixdim[2], qfac * pixdim[3]];
  const r = [
    [a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c)],
    [2 * (b * c + a * d), a * a + c * c - b * b - d * d, 2 * (c * d - a * b)],
    [2 * (b * d - a * c), 2 * (c * d + a * b), a * a + d * d - c * c - b * b],
  ];
  const offset = [268, 272, 276].map((o) => view.getFloat32(o, le));
  return [...r.map((row, i) => [row[0] * dx, row[1] * dy, row[2] * dz, offset[i]]), [0, 0, 0, 1]];
}

function axcodes(affine: number[][]): string {
  const labels = [['L', 'R'], ['P', 'A'], ['I', 'S']];
  return [0, 1, 2].map((j) => {
    const column = [0, 1, 2].map((i) => affine[i][j]);
    const axis = column.reduce((best, v, i) => (Math.abs(v) > Math.abs(column[best]) ? i : best), 0);
    return labels[axis][column[axis] > 0 ? 1 : 0];
  }).join('');
}

const HEADER_BYTES = 352;

/** The first bytes a gzip stream inflates to, without inflating the rest (a bomb's header costs little). */
function gunzipPrefix(bytes: Buffer, want: number): Buffer {
  for (let take = 4096; ; take *= 4) {
    // DEFLATE expands at most 1032:1, so `take` compressed bytes bound the output.
    const out = gunzipSync(bytes.subarray(0, take), { finishFlush: zlibConstants.Z_SYNC_FLUSH });
    if (out.length >= want || take >= bytes.length) return out;
  }
}

interface Header {
  le: boolean;
  shape: number[];
  rank: number;
  type: (typeof TYPES)[number];
  datatype: number;
  voxOffset: number;
  /** vox_offset + voxel bytes: how much of the (inflated) file is read. */
  needed: number;
}

function parseHeader(bytes: Buffer, fail: (what: string) => TtlError): Header {
  if (bytes.length < HEADER_BYTES) throw fail(`${bytes.length} bytes is shorter than a header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = view.getInt32(0, true) === 348;
  if (!le && view.getInt32(0, false) !== 348) throw fail('sizeof_hdr is not 348');
  const magic = bytes.toString('latin1', 344, 347);
  if (magic !== 'n+1' && magic !== 'ni1') throw fail(`magic '${magic}'`);
  if (magic === 'ni1') throw fail('a .hdr/.img pair; convert it to a single .nii');
  const rank = view.getInt16(40, le);
  if (rank < 1 || rank > 7) throw fail(`dim[0] = ${rank}`);
  const shape = Array.from({ length: rank }, (_, i) => view.getInt16(42 + 2 * i, le));
  const badDim = shape.findIndex((d) => d < 1);
  if (badDim >= 0) throw fail(`dim[${badDim + 1}] = ${shape[badDim]}; dimensions must be positive`);
  const datatype = view.getInt16(70, le);
  const type = TYPES[datatype];
  if (!type) throw fail(`datatype ${datatype} is not supported`);
  const voxOffset = view.getFloat32(108, le);
  if (!Number.isInteger(voxOffset) || voxOffset < HEADER_BYTES)
    throw fail(`vox_offset = ${voxOffset}; it must be a whole number of bytes >= ${HEADER_BYTES}`);
  const voxelBytes = shape.reduce((a, b) => a * b, 1) * type[1];
  if (voxelBytes > MAX_VOXEL_BYTES)
    throw fail(`dims [${shape}] of ${type[0]} need ${voxelBytes} bytes, over the ${MAX_VOXEL_BYTES / 1024 ** 3} GiB limit`);
  return { le, shape, rank, type, datatype, voxOffset, needed: voxOffset + voxelBytes };
}

/** The file's bytes up to the end of its voxel data, the header checked before the bulk is inflated. */
function headerAndData(path: string, fail: (what: string) => TtlError): { bytes: Buffer; header: Header } {
  const file = readWholeFile(path);
  if (file[0] !== 0x1f || file[1] !== 0x8b) return { bytes: file, header: parseHeader(file, fail) };
  let header: Header;
  try {
    header = parseHeader(gunzipPrefix(file, HEADER_BYTES), fail);
  } catch (e) {
    if (e instanceof TtlError) throw e;
    throw fail(`gzip: ${(e as Error).message}`);
  }
  // Inflating stops at the declared size: data past the voxels is never needed.
  return { bytes: inflateAtMost(file, header.needed, fail), header };
}

/** A NIfTI-1 volume (.nii or .nii.gz) with its header fields (shape, voxel sizes); a malformed file is E_BAD_IMAGE. */
export function readNifti(path: string): NiftiVolume {
  const fail = (what: string) => new TtlError('E_BAD_IMAGE', `${path}: not a readable NIfTI-1 file (${what})`);
  const { bytes, header } = headerAndData(path, fail);
  const { le, shape, rank, type, datatype, voxOffset } = header;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const pixdim = Array.from({ length: 8 }, (_, i) => view.getFloat32(76 + 4 * i, le));
  const slope = view.getFloat32(112, le);
  const inter = view.getFloat32(116, le);
  const numel = shape.reduce((a, b) => a * b, 1);
  const [dtype, size, Type] = type;
  if (voxOffset + numel * size > bytes.length) throw fail(`the voxel data is truncated (${Math.max(0, bytes.length - voxOffset)} of ${numel * size} bytes)`);
  const raw = new Uint8Array(bytes.subarray(voxOffset, voxOffset + numel * size)); // copy: aligned for the typed view
  if (!le && size > 1) for (let i = 0; i < raw.length; i += size) raw.subarray(i, i + size).reverse();
  const sformCode = view.getInt16(254, le);
  const qformCode = view.getInt16(252, le);
  const affine = sformCode > 0
    ? [...[280, 296, 312].map((o) => Array.from({ length: 4 }, (_, i) => view.getFloat32(o + 4 * i, le))), [0, 0, 0, 1]]
    : qformCode > 0
      ? quaternAffine(view, le, pixdim)
      : [[pixdim[1], 0, 0, 0], [0, pixdim[2], 0, 0], [0, 0, pixdim[3], 0], [0, 0, 0, 1]];
  return {
    shape, dtype, datatype, voxOffset, pixdim: pixdim.slice(1, 1 + Math.min(rank, 3)), affine, axcodes: axcodes(affine),
    sclSlope: slope, sclInter: inter, data: new Type(raw.buffer),
  };
}

/** Voxel values with scl_slope / scl_inter applied (slope 0 means unscaled, as in the standard). */
export function scaled(volume: NiftiVolume): Float32Array {
  const slope = volume.sclSlope && Number.isFinite(volume.sclSlope) ? volume.sclSlope : 1;
  const inter = Number.isFinite(volume.sclInter) && volume.sclSlope ? volume.sclInter : 0;
  return Float32Array.from(volume.data, (v) => v * slope + inter);
}
