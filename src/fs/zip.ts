// Minimal ZIP reader: STORED entries (torch.save) and DEFLATE entries (numpy.savez_compressed).
import { promisify } from 'node:util';
import { inflateRaw, inflateRawSync } from 'node:zlib';
import { TtlError } from '../errors.js';

export interface ZipEntry {
  name: string;
  data: Uint8Array;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
// DEFLATE cannot expand more than 1032:1; a larger declared size is a lie, not data.
const MAX_DEFLATE_RATIO = 1032;
/** Explicit cap on all inflated entries of one archive. */
export const MAX_INFLATED_BYTES = 2 * 1024 ** 3;

export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

export interface ZipOptions {
  kind: string;
  code: 'E_BAD_WEIGHTS' | 'E_BAD_INPUT';
}

/** An entry as the central directory declares it; nothing is inflated until `inflateEntry`. */
export interface StoredEntry {
  name: string;
  raw: Uint8Array;
  deflated: boolean;
  uncompressed: number;
}

export const checkpointZip: ZipOptions = { kind: 'PyTorch checkpoint', code: 'E_BAD_WEIGHTS' };

export const failure = (path: string, { kind, code }: ZipOptions) => (reason: string) => new TtlError(code, `${path}: not a readable ${kind} (${reason})`);

/** Walks the central directory and checks every declared size before anything is inflated. */
export function listZip(bytes: Uint8Array, fail: (reason: string) => TtlError): StoredEntry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 65535); i--) {
    if (view.getUint32(i, true) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw fail('no ZIP end-of-central-directory record: the file is truncated or not a zip archive');
  const count = view.getUint16(eocd + 10, true);
  let offset = view.getUint32(eocd + 16, true);
  if (count === 0xffff || offset === 0xffffffff) throw fail('ZIP64 archives (checkpoints over 4 GiB) are not supported');
  const entries: StoredEntry[] = [];
  const decoder = new TextDecoder();
  let inflatedTotal = 0;
  for (let i = 0; i < count; i++) {
    if (offset + 46 > bytes.length || view.getUint32(offset, true) !== CENTRAL) throw fail('corrupt central directory');
    const method = view.getUint16(offset + 10, true);
    const size = view.getUint32(offset + 20, true);
    const uncompressed = view.getUint32(offset + 24, true);
    const nameLength = view.getUint16(offset + 28, true);
    const extraLength = view.getUint16(offset + 30, true);
    const commentLength = view.getUint16(offset + 32, true);
    const local = view.getUint32(offset + 42, true);
    const name = decoder.decode(bytes.subarray(offset + 46, offset + 46 + nameLength));
    if (method !== 0 && method !== 8) throw fail(`entry ${name} uses unsupported compression method ${method}`);
    if (local + 30 > bytes.length || view.getUint32(local, true) !== LOCAL) throw fail(`corrupt local header for ${name}`);
    const start = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    if (start + size > bytes.length) throw fail(`entry ${name} extends past the end of the file`);
    if (method === 0 && uncompressed !== size) throw fail(`entry ${name} is stored as ${size} bytes but declares ${uncompressed}`);
    if (method === 8) {
      // Sizes are checked before inflating, and inflating stops at the declared size: a bomb costs nothing.
      if (uncompressed > MAX_DEFLATE_RATIO * size + 1024)
        throw fail(`entry ${name} declares ${uncompressed} bytes from ${size} compressed, more than DEFLATE can produce`);
      inflatedTotal += uncompressed;
      if (inflatedTotal > MAX_INFLATED_BYTES)
        throw fail(`the entries inflate to more than the ${MAX_INFLATED_BYTES / 1024 ** 3} GiB limit`);
    }
    entries.push({ name, raw: bytes.subarray(start, start + size), deflated: method === 8, uncompressed });
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

function inflateFailure(e: unknown, entry: StoredEntry, fail: (reason: string) => TtlError): TtlError {
  const tooLarge = (e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
  return fail(tooLarge ? `entry ${entry.name} inflates to more than the ${entry.uncompressed} bytes the directory declares` : `entry ${entry.name} does not inflate: ${(e as Error).message}`);
}

function collect(entries: StoredEntry[], data: Uint8Array[], fail: (reason: string) => TtlError): Map<string, ZipEntry> {
  const out = new Map<string, ZipEntry>();
  entries.forEach((entry, i) => {
    if (data[i].length !== entry.uncompressed) throw fail(`entry ${entry.name} has ${data[i].length} bytes, the directory says ${entry.uncompressed}`);
    out.set(entry.name, { name: entry.name, data: data[i] });
  });
  return out;
}

export function readZip(bytes: Uint8Array, path: string, options: ZipOptions = checkpointZip): Map<string, ZipEntry> {
  const fail = failure(path, options);
  const entries = listZip(bytes, fail);
  const data = entries.map((entry) => {
    if (!entry.deflated) return entry.raw;
    try {
      return inflateRawSync(entry.raw, { maxOutputLength: Math.max(1, entry.uncompressed) });
    } catch (e) {
      throw inflateFailure(e, entry, fail);
    }
  });
  return collect(entries, data, fail);
}

const inflateRawAsync = promisify(inflateRaw);

/** One entry's bytes (a view of the archive when STORED), inflated on libuv's thread pool, checked against its declared size. */
export async function inflateEntry(entry: StoredEntry, fail: (reason: string) => TtlError): Promise<Uint8Array> {
  if (!entry.deflated) return entry.raw;
  let data: Uint8Array;
  try {
    data = await inflateRawAsync(entry.raw, { maxOutputLength: Math.max(1, entry.uncompressed) });
  } catch (e) {
    throw inflateFailure(e, entry, fail);
  }
  if (data.length !== entry.uncompressed) throw fail(`entry ${entry.name} has ${data.length} bytes, the directory says ${entry.uncompressed}`);
  return data;
}

/** readZip with the entries inflated on libuv's thread pool, so the event loop stays free. */
export async function readZipAsync(bytes: Uint8Array, path: string, options: ZipOptions = checkpointZip): Promise<Map<string, ZipEntry>> {
  const fail = failure(path, options);
  const entries = listZip(bytes, fail);
  return collect(entries, await Promise.all(entries.map((entry) => inflateEntry(entry, fail))), fail);
}
