// A trial's folder (checkpoint, curves, predictions, lr-range.json) travels from a worker to rank 0 through
// the store, so the machines need no shared filesystem.
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { TtlError } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic.js';
import type { TrialFile } from './trial-queue.js';

export function readTrialFiles(trialDir: string): TrialFile[] {
  const out: TrialFile[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else out.push({ path: relative(trialDir, path), data: readFileSync(path) });
    }
  };
  walk(trialDir);
  return out;
}

export function writeTrialFiles(trialDir: string, files: TrialFile[]): void {
  for (const f of files) {
    const path = join(trialDir, f.path);
    // The paths come from another process: they must stay inside the trial's folder.
    if (relative(trialDir, path).startsWith('..')) throw new TtlError('E_BAD_RUN', `refusing a trial file outside ${trialDir}: ${f.path}`);
    mkdirSync(dirname(path), { recursive: true });
    writeFileAtomic(path, [f.data]);
  }
}
