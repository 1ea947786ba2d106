#!/usr/bin/env node
// npm run prebuildify: compiles the addon (incrementally) and packs it as
// prebuilds/<platform>-<arch>/ttl-torch.napi.node, stripped, beside ttl-torch.napi.json naming the LibTorch it
// links ("libtorch 1.13.1 cpu") and the shared libraries it needs, which src/native.ts checks before loading it.
// The prebuildify package is not used: it drives node-gyp only, and this addon is built by cmake-js.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
if (process.env.LIBTORCH || process.env.Torch_DIR) {
  // The loader refuses prebuilds whenever LIBTORCH is set, and users of other LibTorch builds compile anyway.
  console.error('ttl-torch: prebuilds link the system LibTorch (Debian libtorch-dev); unset LIBTORCH/Torch_DIR to make one');
  process.exit(1);
}
const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`})`);
  return r.stdout;
};
// Always the default build/ (the system LibTorch), whatever TTL_TORCH_BUILD_DIR a second build uses.
const { TTL_TORCH_BUILD_DIR: _, ...env } = process.env;
const build = spawnSync(process.execPath, [join(root, 'scripts', 'build-native.mjs'), '--force'], { cwd: root, stdio: 'inherit', env });
if (build.status !== 0) process.exit(build.status ?? 1);

const { prebuildFile, systemLibtorch } = await import(pathToFileURL(join(root, 'dist', 'native.js')).href);
const source = join(root, 'build', 'Release', 'ttl_torch.node');
const built = JSON.parse(readFileSync(join(root, 'build', 'Release', 'ttl_torch.json'), 'utf8'));
const node = prebuildFile(root);
mkdirSync(dirname(node), { recursive: true });
rmSync(node, { force: true });
copyFileSync(source, node);
run('strip', ['--strip-unneeded', node]);

const dynamic = run('readelf', ['--dynamic', '--wide', node]);
const needed = [...dynamic.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
const runpath = [...dynamic.matchAll(/\((?:RUNPATH|RPATH)\)\s+Library (?:runpath|rpath): \[([^\]]+)\]/g)].flatMap((m) => m[1].split(':'));
const debian = systemLibtorch().debian;
const version = debian ? /^(?:\d+:)?([\d.]+)/.exec(debian.version)[1] : built.libtorch;
const tag = {
  tag: `libtorch ${version} ${built.variant}`,
  libtorch: built.libtorch,
  variant: built.variant,
  ...(debian ? { debian } : {}),
  platform: process.platform,
  arch: process.arch,
  napi: JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).binary.napi_versions[0],
  glibc: process.report.getReport().header.glibcVersionRuntime,
  needed,
  runpath,
};
writeFileSync(node.replace(/\.node$/, '.json'), JSON.stringify(tag, null, 2) + '\n');
console.log(`ttl-torch: ${relative(root, node)} (${(statSync(node).size / 1e6).toFixed(1)} MB, ${tag.tag}; needs ${needed.join(', ')})`);
