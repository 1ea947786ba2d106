// NumPy .npy arrays (format versions 1-3): little-endian integer and float arrays in C order.
import { TtlError } from '../errors.js';

export type NpyData = Uint8Array | Int8Array | Uint16Array | Int16Array | Int32Array | Uint32Array | Float32Array | Float64Array | BigInt64Array;

export interface NpyArray {
  dtype: string;
  shape: number[];
  data: NpyData;
}

const TYPES: Record<string, new (buffer: ArrayBuffer, offset: number, length: number) => NpyData> = {
  u1: Uint8Array, i1: Int8Array, u2: Uint16Array, i2: Int16Array, i4: Int32Array, u4: Uint32Array, f4: Float32Array,
  f8: Float64Array, i8: BigInt64Array, b1: Uint8Array,
};

export function parseNpy(bytes: Uint8Array, where: string): NpyArray {
  const fail = (what: string) => new TtlError('E_BAD_INPUT', `${where}: not a readable .npy array (${what})`);
  if (bytes.length < 10 || bytes[0] !== 0x93 || String.fromCharCode(...bytes.subarray(1, 6)) !== 'NUMPY') throw fail('bad magic');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6];
  if (major < 1 || major > 3) throw fail(`format version ${major} is not 1, 2 or 3`);
  if (major > 1 && bytes.length < 12) throw fail('the header is truncated');
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = (major === 1 ? 10 : 12) + headerLength;
  if (start > bytes.length) throw fail(`the header declares ${headerLength} bytes, the file has ${bytes.length}`);
  const header = new TextDecoder().decode(bytes.subarray(major === 1 ? 10 : 12, start));
  const descr = /'descr':\s*'([<>|=])(\w\d)'/.exec(header);
  const fortran = /'fortran_order':\s*(True|False)/.exec(header);
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header);
  if (!descr || !fortran || !shape) throw fail(`unreadable header ${header.trim()}`);
  if (descr[1] === '>') throw fail('big-endian arrays are not supported');
  if (fortran[1] === 'True') throw fail('Fortran-ordered arrays are not supported');
  const Type = TYPES[descr[2]];
  if (!Type) throw fail(`unsupported dtype ${descr[2]}`);
  const dims = shape[1].split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  if (!dims.every((d) => Number.isSafeInteger(d) && d >= 0)) throw fail(`shape (${shape[1]}) is not a tuple of non-negative integers`);
  const numel = dims.reduce((a, b) => a * b, 1);
  const itemBytes = Number(descr[2].slice(1));
  if (numel * itemBytes > bytes.length - start) throw fail(`the data is truncated (${bytes.length - start} of ${numel * itemBytes} bytes)`);
  // Copy into a fresh, aligned buffer: zip entries are not aligned to the element size.
  const copy = new Uint8Array(bytes.subarray(start, start + numel * itemBytes)); // (Buffer.slice would not copy)
  return { dtype: descr[2], shape: dims, data: new Type(copy.buffer, 0, numel) };
}
