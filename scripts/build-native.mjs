#!/usr/bin/env node
// Builds the LibTorch addon with cmake-js unless a build (or a prebuild) already exists.
// --force rebuilds. LIBTORCH=/path/to/libtorch selects another LibTorch (e.g. a CUDA build).
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'build', 'Release', 'ttl_torch.node');
const force = process.argv.includes('--force');

if (!force && existsSync(built)) process.exit(0);

const haveTorch =
  process.env.LIBTORCH || process.env.Torch_DIR || existsSync('/usr/lib/x86_64-linux-gnu/cmake/Torch/TorchConfig.cmake') ||
  existsSync('/usr/lib/aarch64-linux-gnu/cmake/Torch/TorchConfig.cmake');
if (!haveTorch) {
  console.error(
    'ttl-torch: LibTorch was not found.\n' +
      '  Debian/Ubuntu: sudo apt-get install -y --no-install-recommends libtorch-dev\n' +
      '  Or point LIBTORCH at an unpacked official LibTorch (CUDA builds too): LIBTORCH=/opt/libtorch npm rebuild ttl-torch',
  );
  process.exit(1);
}
const cmakeJs = join(root, 'node_modules', 'cmake-js', 'bin', 'cmake-js');
const args = [cmakeJs, 'compile', '--directory', root, '--parallel', String(Math.max(1, (await import('node:os')).cpus().length))];
const result = spawnSync(process.execPath, args, { stdio: 'inherit', cwd: root });
process.exit(result.status ?? 1);
