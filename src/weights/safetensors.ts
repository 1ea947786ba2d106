// safetensors: an 8-byte little-endian header length, a JSON header, then raw little-endian tensors.
// The header is untrusted: every field is checked before any tensor memory is touched.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { TtlError } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { duplicateKey } from './json-keys.js';

export const DTYPE_BYTES: Record<string, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1,
};
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

export interface SafeTensor {
  name: string;
  dtype: string;
  shape: number[];
  data: Uint8Array;
}

export interface SafeTensorsFile {
  metadata: Record<string, string>;
  tensors: Map<string, SafeTensor>;
}

function bad(path: string, what: string): TtlError {
  return new TtlError('E_BAD_WEIGHTS', `${path}: invalid safetensors file: ${what}`);
}

interface HeaderEntry {
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

function parseHeader(path: string, json: string, dataBytes: number) {
  let header: unknown;
  try {
    header = JSON.parse(json);
  } catch {
    throw bad(path, 'the header is not valid JSON');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw bad(path, 'the header is not an object');
  const duplicate = duplicateKey(json);
  if (duplicate !== null) throw bad(path, `the header has the key ${duplicate} twice`);
  const entries = new Map<string, HeaderEntry>();
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof value !== 'object' || value === null || Array.isArray(value) || Object.values(value).some((v) => typeof v !== 'string'))
        throw bad(path, '__metadata__ must map strings to strings');
      metadata = value as Record<string, string>;
      continue;
    }
    const v = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof v !== 'object' || v === null) throw bad(path, `tensor ${name} has no description`);
    if (typeof v.dtype !== 'string' || !Object.hasOwn(DTYPE_BYTES, v.dtype)) throw bad(path, `tensor ${name} has unsupported dtype ${String(v.dtype)}`);
    const shape = v.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0))
      throw bad(path, `tensor ${name} has an invalid shape`);
    const offsets = v.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0))
      throw bad(path, `tensor ${name} has invalid data_offsets`);
    const [begin, end] = offsets as number[];
    const numel = (shape as number[]).reduce((a, b) => a * b, 1);
    if (!Number.isSafeInteger(numel * DTYPE_BYTES[v.dtype])) throw bad(path, `tensor ${name} has shape [${shape}], too large to be real`);
    if (end < begin || end > dataBytes) throw bad(path, `tensor ${name} lies outside the file (${begin}..${end} of ${dataBytes} data bytes)`);
    if (end - begin !== numel * DTYPE_BYTES[v.dtype]) throw bad(path, `tensor ${name} has ${end - begin} bytes for shape [${shape}] ${v.dtype}`);
    entries.set(name, { dtype: v.dtype, shape: shape as number[], begin, end });
  }
  const sorted = [...entries.entries()].sort((a, b) => a[1].begin - b[1].begin);
  for (let i = 1; i < sorted.length; i++)
    if (sorted[i][1].begin < sorted[i - 1][1].end) throw bad(path, `tensors ${sorted[i - 1][0]} and ${sorted[i][0]} overlap`);
  // The format's rule: the data section is exactly the tensors, no holes and nothing after them.
  let covered = 0;
  for (const [name, e] of sorted) {
    if (e.begin !== covered) throw bad(path, `${e.begin - covered} unused bytes before tensor ${name} (at data offset ${covered})`);
    covered = e.end;
  }
  if (covered !== dataBytes) throw bad(path, `${dataBytes - covered} bytes of trailing data after the last tensor`);
  return { entries, metadata };
}

/** Reads a safetensors file; the tensors view one buffer holding the file. */
export function readSafetensors(path: string): SafeTensorsFile {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw cannotOpen(path, e);
  }
  return parseSafetensors(path, bytes);
}

/** readSafetensors with the file read on libuv's thread pool: a 52 MB file blocked the event loop ~250 ms here. */
export async function readSafetensorsAsync(path: string): Promise<SafeTensorsFile> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw cannotOpen(path, e);
  }
  return parseSafetensors(path, bytes);
}

const cannotOpen = (path: string, e: unknown) => new TtlError('E_NO_FILE', `cannot open weights file ${path}: ${(e as Error).message}`);

function parseSafetensors(path: string, bytes: Buffer): SafeTensorsFile {
  const size = bytes.length;
  if (size < 8) throw bad(path, `${size} bytes is too short`);
  const headerBytes = bytes.readBigUInt64LE(0);
  if (headerBytes > BigInt(Math.min(MAX_HEADER_BYTES, size - 8)))
    throw bad(path, `header length ${headerBytes} exceeds the file (${size} bytes) or the ${MAX_HEADER_BYTES}-byte limit`);
  const dataStart = 8 + Number(headerBytes);
  const { entries, metadata } = parseHeader(path, bytes.toString('utf8', 8, dataStart), size - dataStart);
  const data = bytes.subarray(dataStart);
  const tensors = new Map<string, SafeTensor>();
  for (const [name, e] of entries) tensors.set(name, { name, dtype: e.dtype, shape: e.shape, data: data.subarray(e.begin, e.end) });
  return { metadata, tensors };
}

/** Serialises tensors (sorted by name, 8-byte aligned header) and writes them atomically. */
export function writeSafetensors(path: string, tensors: Iterable<SafeTensor>, metadata: Record<string, string> = {}): void {
  const list = [...tensors].sort((a, b) => (a.name < b.name ? -1 : 1));
  const header: Record<string, unknown> = Object.keys(metadata).length ? { __metadata__: metadata } : {};
  let offset = 0;
  for (const t of list) {
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  writeFileAtomic(path, [prefix, Buffer.from(json), ...list.map((t) => t.data)]);
}

/** Float32 values of a tensor (F32, F16, BF16, F64), for fixtures and inspection. */
export function toFloat32(t: SafeTensor): Float32Array {
  const n = t.shape.reduce((a, b) => a * b, 1);
  const view = new DataView(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  const out = new Float32Array(n);
  const read: Record<string, (i: number) => number> = {
    F32: (i) => view.getFloat32(4 * i, true),
    F64: (i) => view.getFloat64(8 * i, true),
    F16: (i) => halfToFloat(view.getUint16(2 * i, true)),
    BF16: (i) => new Float32Array(new Uint32Array([view.getUint16(2 * i, true) << 16]).buffer)[0],
  };
  const get = read[t.dtype];
  if (!get) throw new TtlError('E_BAD_WEIGHTS', `tensor ${t.name}: cannot read ${t.dtype} as float`);
  for (let i = 0; i < n; i++) out[i] = get(i);
  return out;
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}
