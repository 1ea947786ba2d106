// What the volume formats share once their headers are read: element types and byte order, bounded inflation,
// text-encoded voxels, the size limit, and data files that sit beside a detached header.
import { readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { constants as zlibConstants, unzipSync } from 'node:zlib';
import { TtlError } from '../../errors.js';
import type { DicomVolume } from '../dicom/index.js';

/** [x, y, z] voxels, x fastest, with their spacing (mm): what every volume reader returns. */
export type Volume = DicomVolume;

/** Explicit cap on a volume's voxel data (a 1024^3 uint8 or 512^3 float64 volume). */
export const MAX_VOXEL_BYTES = 1024 ** 3;

export type Fail = (what: string) => TtlError;

/** One voxel type: its size and how one value is read from a DataView. */
export interface ElementType {
  name: string;
  bytes: number;
  read: (view: DataView, offset: number, littleEndian: boolean) => number;
}

const element = (name: string, bytes: number, read: ElementType['read']): ElementType => ({ name, bytes, read });

/** The voxel types NRRD and MetaImage files declare, by a canonical name. 64-bit integers lose precision past 2^53. */
export const ELEMENT_TYPES = {
  int8: element('int8', 1, (v, o) => v.getInt8(o)),
  uint8: element('uint8', 1, (v, o) => v.getUint8(o)),
  int16: element('int16', 2, (v, o, le) => v.getInt16(o, le)),
  uint16: element('uint16', 2, (v, o, le) => v.getUint16(o, le)),
  int32: element('int32', 4, (v, o, le) => v.getInt32(o, le)),
  uint32: element('uint32', 4, (v, o, le) => v.getUint32(o, le)),
  int64: element('int64', 8, (v, o, le) => Number(v.getBigInt64(o, le))),
  uint64: element('uint64', 8, (v, o, le) => Number(v.getBigUint64(o, le))),
  float32: element('float32', 4, (v, o, le) => v.getFloat32(o, le)),
  float64: element('float64', 8, (v, o, le) => v.getFloat64(o, le)),
} satisfies Record<string, ElementType>;

export function readWholeFile(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new TtlError('E_NO_FILE', `cannot open ${path}: ${(e as Error).message}`);
  }
}

/**
 * A zlib or gzip stream inflated to at most `limit` bytes: a stream that inflates past what its header declares
 * (a bomb) is refused before it is held, and a truncated one gives what it has (its reader says it is short).
 */
export function inflateAtMost(compressed: Uint8Array, limit: number, fail: Fail): Buffer {
  try {
    return unzipSync(compressed, { finishFlush: zlibConstants.Z_SYNC_FLUSH, maxOutputLength: Math.max(1, limit) });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw fail(`it inflates to more than the ${limit} bytes its header declares`);
    throw fail(`compressed data: ${(e as Error).message}`);
  }
}

/** [x, y, z] from a format's sizes: three positive whole numbers, or more with every extra axis of size 1. */
export function volumeShape(sizes: number[], fail: Fail): [number, number, number] {
  const bad = sizes.findIndex((n) => !Number.isInteger(n) || n < 1);
  if (bad >= 0) throw fail(`size ${sizes[bad]} of axis ${bad}: sizes must be whole numbers >= 1`);
  if (sizes.length < 3 || sizes.slice(3).some((n) => n !== 1)) throw fail(`sizes [${sizes.join(' ')}]: expected a 3D volume`);
  return [sizes[0], sizes[1], sizes[2]];
}

/** The bytes `count` voxels of `type` take, refused over MAX_VOXEL_BYTES before anything is read or inflated. */
export function voxelBytes(shape: number[], type: ElementType, fail: Fail): number {
  const bytes = shape.reduce((a, b) => a * b, 1) * type.bytes;
  if (bytes > MAX_VOXEL_BYTES) throw fail(`[${shape.join(', ')}] ${type.name} voxels need ${bytes} bytes, over the ${MAX_VOXEL_BYTES / 1024 ** 3} GiB limit`);
  return bytes;
}

/** `count` binary voxels of `type` from the start of `bytes`, as float32 (x fastest, as stored). */
export function binaryVoxels(bytes: Uint8Array, type: ElementType, count: number, littleEndian: boolean, fail: Fail): Float32Array {
  const need = count * type.bytes;
  if (bytes.length < need) throw fail(`the voxel data is truncated (${bytes.length} of ${need} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, need);
  const out = new Float32Array(count);
  for (let i = 0, o = 0; i < count; i++, o += type.bytes) out[i] = type.read(view, o, littleEndian);
  return out;
}

/** `count` voxels written as decimal numbers separated by white space (or commas). */
export function textVoxels(text: string, count: number, fail: Fail): Float32Array {
  const out = new Float32Array(count);
  let n = 0;
  for (const token of text.split(/[\s,]+/)) {
    if (!token) continue;
    if (n === count) break;
    const v = Number(token);
    if (Number.isNaN(v) && !/^[+-]?nan$/i.test(token)) throw fail(`voxel ${n} is '${token.slice(0, 20)}', not a number`);
    out[n++] = v;
  }
  if (n < count) throw fail(`the voxel data is truncated (${n} of ${count} values)`);
  return out;
}

/**
 * The data file a detached header names, resolved beside the header. It must lie in the header's folder (or
 * below it), as a CSV manifest's files must: a header from outside must not make us read any file on the machine.
 */
export function dataFileBeside(headerPath: string, name: string, fail: Fail): string {
  const folder = dirname(resolve(headerPath));
  const path = resolve(folder, name);
  const rel = relative(folder, path);
  if (!rel || rel.startsWith('..') || isAbsolute(rel)) throw fail(`its data file '${name}' is outside the header's folder ${folder}`);
  let file = false;
  try {
    file = statSync(path).isFile();
  } catch {
    throw fail(`its data file '${name}' does not exist`);
  }
  if (!file) throw fail(`its data file '${name}' is not a file`);
  return path;
}
