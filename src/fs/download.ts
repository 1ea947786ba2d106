import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { TtlError } from '../errors.js';

/**
 * Streams `url` into `target`, hashing as it goes. The file appears under its final name only after the
 * whole body arrived and `verify(digests)` accepted it; a cut connection or a bad digest leaves nothing.
 */
export async function download(
  url: string, target: string, verify: (digests: { sha256: string; md5: string }) => void, signal?: AbortSignal,
): Promise<void> {
  mkdirSync(dirname(target), { recursive: true });
  const temp = `${target}.${process.pid}.part`;
  const fd = openSync(temp, 'w');
  let closed = false;
  try {
    let response: Response;
    try {
      response = await fetch(url, { signal });
    } catch (e) {
      if (signal?.aborted) throw new TtlError('E_CANCELLED', `download of ${url} was cancelled`);
      throw new TtlError('E_DOWNLOAD', `cannot download ${url}: ${(e as Error).cause ?? (e as Error).message}`);
    }
    if (!response.ok || !response.body) throw new TtlError('E_DOWNLOAD', `cannot download ${url}: HTTP ${response.status}`);
    const expected = Number(response.headers.get('content-length') ?? NaN);
    const hash = createHash('sha256');
    const md5 = createHash('md5');
    let received = 0;
    try {
      for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
        hash.update(chunk);
        md5.update(chunk);
        writeSync(fd, chunk);
        received += chunk.byteLength;
      }
    } catch (e) {
      if (signal?.aborted) throw new TtlError('E_CANCELLED', `download of ${url} was cancelled after ${received} bytes`);
      throw new TtlError('E_DOWNLOAD', `download of ${url} broke off after ${received} bytes: ${(e as Error).message}`);
    }
    if (Number.isFinite(expected) && received !== expected)
      throw new TtlError('E_DOWNLOAD', `download of ${url} is incomplete: ${received} of ${expected} bytes`);
    verify({ sha256: hash.digest('hex'), md5: md5.digest('hex') });
    fsyncSync(fd);
    closeSync(fd);
    closed = true;
    renameSync(temp, target);
  } finally {
    if (!closed) {
      closeSync(fd);
      rmSync(temp, { force: true });
    }
  }
}
