// Creates a run's output folder, or explains why it cannot be one. Node's recursive mkdir loops forever
// under /proc (mkdir there fails with ENOENT even though the parent exists), so the folders are created
// one level at a time after checking the deepest existing ancestor.
import { accessSync, constants, mkdirSync, statSync, statfsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { TtlError } from '../errors.js';

// Pseudo file systems that accept no run folders: proc, sysfs, cgroup, cgroup2, debugfs, securityfs.
const PSEUDO_FS = new Set([0x9fa0, 0x62656572, 0x27e0eb, 0x63677270, 0x64626720, 0x73636673]);

const fail = (dir: string, why: string) => new TtlError('E_BAD_ARGUMENT', `cannot use ${dir} as the run folder (--out): ${why}`);

/** Checks that `dir` is or can become a writable folder, then creates it. */
export function makeRunDir(path: string): void {
  const dir = resolve(path);
  const missing: string[] = [];
  let existing = dir;
  for (;;) {
    try {
      const stat = statSync(existing);
      if (!stat.isDirectory()) throw fail(dir, existing === dir ? 'it is a file' : `${existing} is a file, not a folder`);
      break;
    } catch (e) {
      if (e instanceof TtlError) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw fail(dir, `${existing}: ${(e as Error).message}`);
      if (dirname(existing) === existing) throw fail(dir, 'no existing ancestor folder');
      missing.push(existing);
      existing = dirname(existing);
    }
  }
  if (PSEUDO_FS.has(statfsSync(existing).type)) throw fail(dir, `${existing} is on a kernel pseudo file system (/proc, /sys)`);
  try {
    accessSync(existing, constants.W_OK | constants.X_OK);
  } catch {
    throw fail(dir, `${existing} is not writable`);
  }
  for (const folder of missing.reverse()) {
    try {
      mkdirSync(folder);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw fail(dir, `mkdir ${folder}: ${(e as Error).message}`);
    }
  }
}
