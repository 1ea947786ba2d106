// The decoded-image cache file: one split's images at their stored size (uint8/uint16), written once by the
// loader (data/cached-load.ts) and memory-mapped by every later run, resume, trial and worker. Layout:
//   page 0:  preamble: "TTLCACHE", format version (u32), header length (u32), header offset (u64), SHA-1 of the
//            header (20 bytes); the rest of the page is zero
//   4096:    the images, [N, ...itemShape] row-major, little-endian samples (page-aligned for the mapping)
//   then:    labels (int32 [N]), multi-label targets (uint8 [N, L]), and the header (JSON) last.
// The header is written last and the preamble after it, into a temporary file renamed into place, so a file that
// was cut short has no valid preamble or a size its header does not account for. Nothing is trusted before it is
// checked: a foreign, torn or other-version file is refused with E_BAD_CACHE (the loader then rebuilds it) and
// the contents are checked against the header's checksum (SHA-1 over the labels, the targets and each image's
// SHA-1) on every open.
import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { TtlError } from '../errors.js';
import type { MappedImages } from './dataset.js';
import type { DatasetLoadReport } from './manifest.js';
import type { SplitName } from './split.js';
import type { VolumeDecoding } from './volume.js';
import type { DicomDecoding } from './decode.js';

export const CACHE_FORMAT = 1;
const MAGIC = 'TTLCACHE';
export const IMAGES_OFFSET = 4096;
const PREAMBLE = 8 + 4 + 4 + 8 + 20;
/** No header of a real split comes near this (it holds class names and the skipped files). */
const MAX_HEADER = 64 * 1024 * 1024;
const READ_CHUNK = 16 * 1024 * 1024;

/** What a cache file's header records: enough to rebuild the split without the sources. */
export interface CacheHeader {
  format: number;
  /** Digest of the sources (path, size, mtime, label of every entry) and the decode settings. */
  key: string;
  split: SplitName;
  name: string;
  classes: string[];
  kind: 'gray' | 'rgb' | 'volume';
  /** [N, ...item]: the split's array shape. */
  shape: number[];
  bits: 8 | 16;
  labelsOffset: number;
  /** Multi-label: where the [N, L] 0/1 targets start; absent otherwise. */
  targetsOffset?: number;
  /** SHA-1 (hex) over labels, targets and the SHA-1 of each image in order. */
  checksum: string;
  /** Files the build skipped (skipBad), reported again by every load. */
  skipped: DatasetLoadReport['skipped'];
  volume?: VolumeDecoding;
  dicom?: DicomDecoding;
  /** Seconds the build spent decoding, and when it finished. */
  decodeSeconds: number;
  builtAt: string;
}

/** A split read back from its cache file: labels and targets in memory, images left in the file. */
export interface CachedSplit {
  header: CacheHeader;
  images: MappedImages;
  labels: Int32Array;
  targets?: Uint8Array;
}

/** Files whose contents passed the checksum in this process, with the identity they had then. */
const verified = new Map<string, string>();

const bad = (file: string, why: string) => new TtlError('E_BAD_CACHE', `${file}: ${why}`);
const itemBytes = (h: Pick<CacheHeader, 'shape' | 'bits'>) => h.shape.slice(1).reduce((a, b) => a * b, 1) * (h.bits / 8);

/** Accumulates the checksum as images are written in any order: one SHA-1 per image slot. */
export class SplitChecksum {
  private readonly digests: Buffer;
  constructor(count: number) {
    this.digests = Buffer.alloc(count * 20);
  }
  image(slot: number, bytes: Uint8Array): void {
    createHash('sha1').update(bytes).digest().copy(this.digests, slot * 20);
  }
  /** Drops the slots of images that were not kept (kept: old slot per new slot, in order). */
  keep(kept: number[]): void {
    kept.forEach((old, i) => this.digests.copy(this.digests, i * 20, old * 20, old * 20 + 20));
  }
  digest(count: number, labels: Int32Array, targets?: Uint8Array): string {
    const hash = createHash('sha1').update(new Uint8Array(labels.buffer, labels.byteOffset, labels.byteLength));
    if (targets) hash.update(targets);
    return hash.update(this.digests.subarray(0, count * 20)).digest('hex');
  }
}

async function readFully(handle: FileHandle, into: Uint8Array, position: number, file: string): Promise<void> {
  for (let done = 0; done < into.length;) {
    const { bytesRead } = await handle.read(into, done, into.length - done, position + done);
    if (!bytesRead) throw bad(file, `ends at byte ${position + done}, before the ${into.length} bytes its header places at ${position} (torn)`);
    done += bytesRead;
  }
}

/**
 * Writes the labels, targets, header and preamble after the images (already at IMAGES_OFFSET), and syncs;
 * returns the header. The caller renames the file into place.
 */
export async function finishCacheFile(handle: FileHandle, header: Omit<CacheHeader, 'format' | 'labelsOffset' | 'targetsOffset'>, labels: Int32Array, targets?: Uint8Array): Promise<CacheHeader> {
  const labelsOffset = IMAGES_OFFSET + header.shape[0] * itemBytes(header);
  const labelBytes = new Uint8Array(labels.buffer, labels.byteOffset, labels.byteLength);
  await handle.write(labelBytes, 0, labelBytes.length, labelsOffset);
  const targetsOffset = targets ? labelsOffset + labelBytes.length : undefined;
  if (targets) await handle.write(targets, 0, targets.length, targetsOffset);
  const full: CacheHeader = { format: CACHE_FORMAT, ...header, labelsOffset, ...(targets ? { targetsOffset } : {}) };
  const json = Buffer.from(JSON.stringify(full));
  const headerOffset = labelsOffset + labelBytes.length + (targets?.length ?? 0);
  await handle.write(json, 0, json.length, headerOffset);
  await handle.truncate(headerOffset + json.length);
  const preamble = Buffer.alloc(PREAMBLE);
  preamble.write(MAGIC, 0, 'latin1');
  preamble.writeUInt32LE(CACHE_FORMAT, 8);
  preamble.writeUInt32LE(json.length, 12);
  preamble.writeBigUInt64LE(BigInt(headerOffset), 16);
  createHash('sha1').update(json).digest().copy(preamble, 24);
  await handle.sync();  // the contents reach the disk before the preamble that vouches for them
  await handle.write(preamble, 0, preamble.length, 0);
  await handle.sync();
  return full;
}

function checkHeader(file: string, h: CacheHeader, end: number): void {
  const shapeOk = Array.isArray(h.shape) && h.shape.length >= 3 && h.shape.every((d) => Number.isInteger(d) && d >= 0);
  if (!shapeOk || (h.bits !== 8 && h.bits !== 16) || !Array.isArray(h.classes) || typeof h.checksum !== 'string' || !Array.isArray(h.skipped))
    throw bad(file, 'the header lacks the shape, bits, classes, checksum or skipped list of a split');
  const labelsEnd = h.labelsOffset + h.shape[0] * 4;
  if (h.labelsOffset !== IMAGES_OFFSET + h.shape[0] * itemBytes(h) || (h.targetsOffset !== undefined && h.targetsOffset !== labelsEnd))
    throw bad(file, 'the header places the labels or targets where its shape does not');
  const targetsEnd = h.targetsOffset === undefined ? labelsEnd : labelsEnd + h.shape[0] * h.classes.length;
  if (targetsEnd !== end) throw bad(file, `the header accounts for ${targetsEnd} bytes before itself, the file has ${end} (torn)`);
}

/**
 * Opens and checks a cache file: the preamble and header, the sizes against the file's, and the contents against
 * the checksum. Any fault is E_BAD_CACHE naming the file and what is wrong; nothing is mapped before this passes.
 * With `key`, a file built from other sources or settings is left unread: undefined (stale, to be rebuilt).
 */
export async function openImageCache(file: string, key?: string): Promise<CachedSplit | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch (e) {
    throw new TtlError('E_NO_FILE', `${file}: cannot open the image cache (${(e as Error).message})`);
  }
  try {
    const stat = await handle.stat({ bigint: true });
    const size = Number(stat.size);
    if (size < IMAGES_OFFSET) throw bad(file, `${size} bytes is shorter than a cache file's first page (torn, or not an image cache)`);
    const preamble = new Uint8Array(PREAMBLE);
    await readFully(handle, preamble, 0, file);
    const view = Buffer.from(preamble.buffer);
    if (view.toString('latin1', 0, 8) !== MAGIC) throw bad(file, `not a ttl-torch image cache (no ${MAGIC} magic: a foreign file)`);
    const format = view.readUInt32LE(8);
    if (format !== CACHE_FORMAT) throw bad(file, `written in cache format ${format}; this version of ttl-torch reads format ${CACHE_FORMAT}`);
    const length = view.readUInt32LE(12);
    const offset = Number(view.readBigUInt64LE(16));
    if (!length || length > MAX_HEADER || offset + length !== size)
      throw bad(file, `the preamble places a ${length}-byte header at ${offset}, the file has ${size} bytes (torn)`);
    const json = new Uint8Array(length);
    await readFully(handle, json, offset, file);
    if (!createHash('sha1').update(json).digest().equals(view.subarray(24, 44))) throw bad(file, 'the header does not match its checksum (corrupt)');
    let header: CacheHeader;
    try {
      header = JSON.parse(Buffer.from(json).toString('utf8')) as CacheHeader;
    } catch {
      throw bad(file, 'the header is not JSON (corrupt)');
    }
    checkHeader(file, header, offset);
    if (key !== undefined && header.key !== key) return undefined;
    const n = header.shape[0];
    const labels = new Int32Array(n);
    await readFully(handle, new Uint8Array(labels.buffer), header.labelsOffset, file);
    const targets = header.targetsOffset === undefined ? undefined : new Uint8Array(n * header.classes.length);
    if (targets) await readFully(handle, targets, header.targetsOffset!, file);
    // A run loads its data more than once (trials, then the analyses): the checksum pass over the images is done
    // once per process for a file whose identity, size and mtime have not changed since it passed.
    const identity = `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeNs}:${header.checksum}`;
    if (verified.get(file) !== identity) {
      await verifyImages(handle, file, header, labels, targets);
      verified.set(file, identity);
    }
    return { header, images: { file, offset: IMAGES_OFFSET, bits: header.bits }, labels, targets };
  } finally {
    await handle.close();
  }
}

/** Re-hashes every image in file order (sequential reads) and compares with the header's checksum. */
async function verifyImages(handle: FileHandle, file: string, header: CacheHeader, labels: Int32Array, targets?: Uint8Array): Promise<void> {
  const n = header.shape[0], per = itemBytes(header);
  const checksum = new SplitChecksum(n);
  const perChunk = Math.max(1, Math.floor(READ_CHUNK / Math.max(per, 1)));
  const buffer = new Uint8Array(perChunk * per);
  for (let first = 0; first < n; first += perChunk) {
    const count = Math.min(perChunk, n - first);
    const chunk = buffer.subarray(0, count * per);
    await readFully(handle, chunk, IMAGES_OFFSET + first * per, file);
    for (let i = 0; i < count; i++) checksum.image(first + i, chunk.subarray(i * per, (i + 1) * per));
  }
  if (checksum.digest(n, labels, targets) !== header.checksum) throw bad(file, 'the images or labels do not match the checksum in the header (corrupt)');
}
