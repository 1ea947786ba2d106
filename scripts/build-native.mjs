#!/usr/bin/env node
// The npm `install` script, and `npm run build:native` (--force).
//   install: nothing to do when build/Release already holds the addon or a prebuild matching this system's
//            LibTorch ships in prebuilds/ (checked by dist/native/loader.js, the loader itself, so install and load
//            cannot disagree); otherwise compile. LIBTORCH=/path (or Torch_DIR) always compiles: prebuilds
//            link Debian's CPU LibTorch.
//   --force: compile (incrementally when build/ exists).
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// TTL_TORCH_BUILD_DIR: a second build beside build/ (another LibTorch); dist/native/loader.js loads from the same place.
const buildDir = process.env.TTL_TORCH_BUILD_DIR || 'build';
const built = join(root, buildDir, 'Release', 'ttl_torch.node');
const force = process.argv.includes('--force');
const libtorchEnv = process.env.LIBTORCH || process.env.Torch_DIR;
const say = (line) => console.log(`ttl-torch: ${line}`);

if (!force && !libtorchEnv) {
  if (existsSync(built)) process.exit(0);
  const loader = join(root, 'dist', 'native', 'loader.js');
  // A checkout runs this before `prepare` compiles dist/; it has no prebuild of its own then either.
  if (existsSync(loader)) {
    const { prebuildFile, readPrebuildTag, prebuildProblem } = await import(pathToFileURL(loader).href);
    for (const node of [prebuildFile(root, 'debian'), prebuildFile(root, 'pip')]) {
      if (!existsSync(node)) continue;
      const tag = readPrebuildTag(node);
      const problem = prebuildProblem(node, tag);
      if (!problem) {
        say(`using the prebuilt addon ${relative(root, node)} (${tag.tag}); nothing to compile`);
        process.exit(0);
      }
      say(`not using the prebuilt addon ${relative(root, node)}: ${problem}; building from source`);
    }
  }
}

const haveTorch =
  libtorchEnv || existsSync('/usr/lib/x86_64-linux-gnu/cmake/Torch/TorchConfig.cmake') ||
  existsSync('/usr/lib/aarch64-linux-gnu/cmake/Torch/TorchConfig.cmake');
if (!haveTorch) {
  console.error(
    'ttl-torch: LibTorch was not found, and there is no prebuilt addon for this system.\n' +
      '  Debian/Ubuntu: sudo apt-get install -y --no-install-recommends libtorch-dev cmake g++ make\n' +
      '  Or point LIBTORCH at an unpacked official LibTorch (CUDA builds too): LIBTORCH=/opt/libtorch npm rebuild ttl-torch',
  );
  process.exit(1);
}
// Resolved, not joined to root/node_modules: in an installed package cmake-js is usually hoisted.
const cmakeJs = createRequire(import.meta.url).resolve('cmake-js/bin/cmake-js');
say(`compiling the addon against ${libtorchEnv ? `LIBTORCH ${libtorchEnv}` : "the system's LibTorch"} (several minutes on 2 cores)`);
const args = [cmakeJs, 'compile', '--directory', root, '--out', buildDir, '--parallel', String(Math.max(1, cpus().length))];
const start = performance.now();
const result = spawnSync(process.execPath, args, { stdio: 'inherit', cwd: root });
if (result.status === 0) say(`addon compiled in ${((performance.now() - start) / 1000).toFixed(1)} s`);
process.exit(result.status ?? 1);
