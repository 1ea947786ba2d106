// The Python reference venv that `bash scripts/setup.sh --test` builds (TTL_TORCH_TEST_VENV, default .venv-test):
// onnx, onnxruntime, scikit-learn, pydicom with pylibjpeg, SimpleITK. Tests that compare against it skip without
// it outside CI, and fail in CI.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { root } from './paths.js';

export const testVenv = resolve(root, process.env.TTL_TORCH_TEST_VENV || '.venv-test');
export const venvPython = join(testVenv, 'bin', 'python');

/** Which of the Python modules the venv lacks, said with where it looked; undefined when it has them all. */
export function venvLacks(modules: string[]): string | undefined {
  if (!existsSync(venvPython)) return `${modules.join(', ')} (no venv at ${testVenv})`;
  const probe = spawnSync(venvPython, ['-c', `import importlib.util as u; print(' '.join(m for m in ${JSON.stringify(modules)} if u.find_spec(m) is None))`], { encoding: 'utf8' });
  if (probe.status !== 0) return `${modules.join(', ')} (${venvPython} does not run: ${probe.stderr.trim()})`;
  const absent = probe.stdout.trim().split(' ').filter(Boolean);
  return absent.length ? `${absent.join(', ')} (not in ${testVenv})` : undefined;
}
