#!/usr/bin/env node
// npm run prebuildify [-- --libtorch pip]: compiles the addon (incrementally) and packs it, stripped, beside a
// .napi.json naming the LibTorch it links and the shared libraries it needs, which src/native.ts checks before
// loading it:
//   default:        build/ (Debian's libtorch-dev)   -> prebuilds/<platform>-<arch>/ttl-torch.napi.node
//   --libtorch pip: build-pip/ (TTL_TORCH_BUILD_DIR; PyTorch's wheel, from setup.sh --libtorch pip)
//                                                     -> prebuilds/<platform>-<arch>/ttl-torch-pip.napi.node
// The pip prebuild loses its RUNPATH (it pointed into this machine's site-packages, patchelf removes it): the
// loader maps the libraries of whichever matching torch a Python finds before loading it.
// The prebuildify package is not used: it drives node-gyp only, and this addon is built by cmake-js.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { libtorch: { type: 'string', default: 'debian' } } });
if (!['debian', 'pip'].includes(values.libtorch)) {
  console.error(`ttl-torch: --libtorch is 'debian' or 'pip', not '${values.libtorch}'`);
  process.exit(2);
}
const pip = values.libtorch === 'pip';
if (process.env.LIBTORCH || process.env.Torch_DIR) {
  // The loader refuses prebuilds whenever LIBTORCH is set, and users of other LibTorch builds compile anyway.
  console.error('ttl-torch: prebuilds link Debian\'s libtorch-dev or PyTorch\'s wheel (--libtorch pip); unset LIBTORCH/Torch_DIR to make one');
  process.exit(1);
}
const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`})`);
  return r.stdout;
};
// The Debian prebuild always comes from build/, whatever TTL_TORCH_BUILD_DIR a second build uses.
const { TTL_TORCH_BUILD_DIR: buildDirEnv, ...env } = process.env;
const buildDir = pip ? buildDirEnv || 'build-pip' : 'build';
const build = spawnSync(process.execPath, [join(root, 'scripts', 'build-native.mjs'), '--force'], {
  cwd: root, stdio: 'inherit', env: { ...env, TTL_TORCH_BUILD_DIR: buildDir },
});
if (build.status !== 0) process.exit(build.status ?? 1);

const { prebuildFile, systemLibtorch } = await import(pathToFileURL(join(root, 'dist', 'native', 'loader.js')).href);
const source = join(root, buildDir, 'Release', 'ttl_torch.node');
const built = JSON.parse(readFileSync(join(root, buildDir, 'Release', 'ttl_torch.json'), 'utf8'));
if (built.source !== values.libtorch) {
  console.error(`ttl-torch: ${buildDir} was built against ${built.source} LibTorch ${built.libtorch} (${built.torchDir}), not ${values.libtorch}'s`);
  process.exit(1);
}
const node = prebuildFile(root, values.libtorch);
mkdirSync(dirname(node), { recursive: true });
rmSync(node, { force: true });
copyFileSync(source, node);
run('strip', ['--strip-unneeded', node]);
if (pip) run('patchelf', ['--remove-rpath', node]);

const dynamic = run('readelf', ['--dynamic', '--wide', node]);
const needed = [...dynamic.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
const runpath = [...dynamic.matchAll(/\((?:RUNPATH|RPATH)\)\s+Library (?:runpath|rpath): \[([^\]]+)\]/g)].flatMap((m) => m[1].split(':'));
let origin;
if (pip) {
  // torchDir is <torch>/share/cmake/Torch; the wheel's version.py says which torch it is.
  const versionPy = readFileSync(join(built.torchDir, '..', '..', '..', 'version.py'), 'utf8');
  const torch = /^__version__\s*=\s*['"]([^'"]+)['"]/m.exec(versionPy)[1];
  origin = { tag: `libtorch ${built.libtorch} ${built.variant} (pip torch ${torch})`, pip: { torch } };
} else {
  const debian = systemLibtorch().debian;
  const version = debian ? /^(?:\d+:)?([\d.]+)/.exec(debian.version)[1] : built.libtorch;
  origin = { tag: `libtorch ${version} ${built.variant}`, ...(debian ? { debian } : {}) };
}
const tag = {
  tag: origin.tag,
  libtorch: built.libtorch,
  variant: built.variant,
  ...(origin.debian ? { debian: origin.debian } : {}),
  ...(origin.pip ? { pip: origin.pip } : {}),
  platform: process.platform,
  arch: process.arch,
  napi: JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).binary.napi_versions[0],
  glibc: process.report.getReport().header.glibcVersionRuntime,
  needed,
  runpath,
};
writeFileSync(node.replace(/\.node$/, '.json'), JSON.stringify(tag, null, 2) + '\n');
console.log(`ttl-torch: ${relative(root, node)} (${(statSync(node).size / 1e6).toFixed(1)} MB, ${tag.tag}; needs ${needed.join(', ')})`);
