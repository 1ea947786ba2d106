// Vitest's global setup: the whole run writes its temporary files under one fresh folder, removed when the run
// ends. Tests make their folders with mkdtemp(tmpdir()) and cannot all clean up after themselves (a killed child,
// a failed assertion, an exported network kept for the next test): on a machine that runs the suite day after
// day those folders filled the disk. Setting TMPDIR here, before the test processes start, reaches the forked
// test files and every process they spawn.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'ttl-torch-tests-'));
  process.env.TMPDIR = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
