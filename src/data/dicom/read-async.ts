// readDicom off the main thread (pool.ts): what datasets and services use.
import { readFile } from 'node:fs/promises';
import { TtlError } from '../../errors.js';
import { describePixels } from './description.js';
import type { DicomImage, ReadDicomOptions } from './image.js';
import { parseDicomBytes } from './parse.js';
import { decodeOnWorker } from './pool.js';

/**
 * readDicom off the main thread: the file is read without blocking, and decoded on a worker thread (pool.ts), as
 * many at once as there are cores, each file within a time budget for its size. A file whose decoder loops (a
 * malformed frame) is refused with E_BAD_IMAGE instead of hanging the process. Datasets decode through it.
 */
export async function readDicomAsync(path: string, options: ReadDicomOptions = {}): Promise<DicomImage> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new TtlError('E_NO_FILE', `cannot open ${path}: ${(e as Error).message}`);
  }
  const view = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const d = describePixels(parseDicomBytes(view, path));
  const frames = options.frame === undefined || options.frame === 'all' ? d.frames : 1;
  // A copy the worker owns: Node's file buffers may share a pooled ArrayBuffer.
  return decodeOnWorker(view.slice(), path, { ...options, name: path }, d.rows * d.columns * d.samples * frames);
}
