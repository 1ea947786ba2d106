// --out is checked before anything is created: Node's recursive mkdir loops forever under /proc, and a
// path under a file gave a raw ENOTDIR.
import { existsSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeRunDir } from '../../src/fs/outdir.js';

describe('run folder (--out)', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'ttl-out-'));

  it('under /proc is refused at once', () => {
    const start = performance.now();
    expect(() => makeRunDir('/proc/1/run')).toThrow(
      expect.objectContaining({ code: 'E_BAD_ARGUMENT', message: 'cannot use /proc/1/run as the run folder (--out): /proc/1 is on a kernel pseudo file system (/proc, /sys)' }));
    expect(performance.now() - start).toBeLessThan(1000);
  });

  it('under a file, or a file itself, is refused naming the file', () => {
    const file = join(tmp, 'notes.txt');
    writeFileSync(file, 'x');
    expect(() => makeRunDir(join(file, 'run', 'deeper'))).toThrow(`cannot use ${join(file, 'run', 'deeper')} as the run folder (--out): ${file} is a file, not a folder`);
    expect(() => makeRunDir(file)).toThrow(`cannot use ${file} as the run folder (--out): it is a file`);
  });

  it('creates missing levels, and accepts an existing folder', () => {
    const dir = join(tmp, 'a', 'b', 'c');
    makeRunDir(dir);
    expect(statSync(dir).isDirectory()).toBe(true);
    makeRunDir(dir);
    expect(existsSync(dir)).toBe(true);
  });
});
