// The package as a user gets it: `npm run prebuildify`, `npm pack`, then `npm install <tarball>` into an
// empty project with install scripts on and no compiler or cmake on PATH, so the install can only succeed
// by using the prebuild; then `npx ttl-torch info` and a one-step finetune from that project. 12 s on the
// 2-core reference machine (the install resolves the dependencies from npm's cache, which `npm ci` filled).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { root, shared } from '../support/helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'ttl-pack-'));
const app = join(tmp, 'app');
const bin = join(tmp, 'bin');
let tarball = '';
let entries: string[] = [];
let install: Ran;
// Without the npm_* variables `npm test` sets (npm_config_local_prefix among them): the nested npm must act
// on the temporary project as a user's shell would, not on this checkout.
// TTL_TORCH_BUILD_DIR picks a build of this checkout (the pip leg's); the installed package has only its prebuild.
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) && k !== 'TTL_TORCH_BUILD_DIR'));
const appEnv = { ...cleanEnv, PATH: bin, TTL_TORCH_THREADS: '1' };

interface Ran { status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

// Asynchronous, so that this test process keeps answering vitest while npm works: the synchronous version
// blocked it for over a minute on the pip leg, and vitest's own messages time out after 60 s.
function run(cmd: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<Ran> {
  return new Promise((done, fail) => {
    const child = spawn(cmd, args, { cwd: options.cwd, env: options.env, timeout: 240_000 });
    let [stdout, stderr] = ['', ''];
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', fail);
    child.once('close', (status, signal) => done({ status, signal, stdout, stderr }));
  });
}
const ok = (r: Ran, what: string) => {
  if (r.status !== 0) throw new Error(`${what} failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
  return r;
};

/** PATH holding node, npm, npx and sh only: any attempt to run cmake, make, ninja, c++ or g++ fails. */
function compilerFreeEnv(): NodeJS.ProcessEnv {
  mkdirSync(bin, { recursive: true });
  const npmBin = join(dirname(dirname(process.execPath)), 'lib', 'node_modules', 'npm', 'bin');
  symlinkSync(process.execPath, join(bin, 'node'));
  symlinkSync(join(npmBin, 'npm-cli.js'), join(bin, 'npm'));
  symlinkSync(join(npmBin, 'npx-cli.js'), join(bin, 'npx'));
  symlinkSync('/bin/sh', join(bin, 'sh'));
  return appEnv;
}

beforeAll(async () => {
  ok(await run(process.execPath, [join(root, 'scripts', 'prebuild.mjs')], { cwd: root, env: cleanEnv }), 'npm run prebuildify');
  // --ignore-scripts: `prepare` would rerun tsc into dist/ while other test files execute dist/cli; `npm test`
  // has just compiled it.
  const pack = ok(await run('npm', ['pack', '--ignore-scripts', '--pack-destination', tmp], { cwd: root, env: cleanEnv }), 'npm pack');
  tarball = join(tmp, pack.stdout.trim().split('\n').at(-1)!);
  entries = ok(await run('tar', ['-tzf', tarball], { cwd: tmp, env: cleanEnv }), 'tar').stdout.trim().split('\n');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  install = await run('npm', ['install', tarball, '--no-audit', '--no-fund', '--prefer-offline', '--foreground-scripts'], { cwd: app, env: compilerFreeEnv() });
}, 300_000);

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('npm pack + install', () => {
  it('the tarball holds the runtime files and the tagged prebuild, and no tests, fixtures or build trees', () => {
    const files = entries.map((e) => e.replace(/^package\//, ''));
    for (const needed of ['package.json', 'README.md', 'CHANGELOG.md', 'dist/index.js', 'dist/cli/main.js', 'scripts/build-native.mjs',
      'CMakeLists.txt', 'binding/addon.cc', 'models/resnet50.json', 'prebuilds/linux-x64/ttl-torch.napi.node', 'prebuilds/linux-x64/ttl-torch.napi.json'])
      expect(files, needed).toContain(needed);
    const unwanted = files.filter((f) => /^(test|bench|examples|build|node_modules|runs|\.ci)\/|fixtures|\.tgz$|\.map$|^src\//.test(f));
    expect(unwanted).toEqual([]);
    const size = statSync(tarball).size;
    console.log(`tarball ${tarball.split('/').at(-1)}: ${(size / 1e6).toFixed(2)} MB, ${files.length} files`);
    expect(size).toBeLessThan(40e6);
  });

  it('installs with install scripts on and no compiler on PATH, using the prebuild', () => {
    if (install.status !== 0) throw new Error(`npm install failed:\n${install.stdout}\n${install.stderr}`);
    const output = install.stdout + install.stderr;
    expect(output).toMatch(/ttl-torch: using the prebuilt addon prebuilds\/linux-x64\/ttl-torch\.napi\.node \(libtorch \S+ cpu\); nothing to compile/);
    expect(existsSync(join(app, 'node_modules', 'ttl-torch', 'build'))).toBe(false);
  });

  it('npx ttl-torch info runs from the installed package on the prebuild', async () => {
    const r = ok(await run(join(bin, 'npx'), ['ttl-torch', 'info'], { cwd: app, env: appEnv }), 'npx ttl-torch info');
    expect(r.stdout).toMatch(/^LibTorch\s+\d+\.\d+/m);
    expect(r.stdout).toMatch(/^addon\s+prebuild .*node_modules\/ttl-torch\/prebuilds\/linux-x64\/ttl-torch\.napi\.node \(libtorch \S+ cpu\)$/m);
  });

  it('a one-step finetune runs from the installed package, its subpath exports resolving', async () => {
    const script = join(app, 'step.mjs');
    writeFileSync(
      script,
      `import { finetune } from 'ttl-torch';
import { readMedMNIST } from 'ttl-torch/data';
const data = readMedMNIST(${JSON.stringify(join(shared, 'data', 'pneumoniamnist', 'pneumoniamnist.npz'))});
const take = (s, n) => {
  const pixels = s.shape.slice(1).reduce((a, b) => a * b, 1);
  return { images: s.images.slice(0, n * pixels), shape: [n, ...s.shape.slice(1)], labels: s.labels.slice(0, n) };
};
const r = await finetune({
  model: 'squeezenet1_1', weights: 'imagenet', strategy: { kind: 'ttl', cutoff: 'block1' }, imageSize: 32, epochs: 1, batchSize: 16, lr: 0.001,
  data: { ...data, train: take(data.train, 16), val: take(data.val, 16), test: take(data.test, 16) }, device: 'cpu',
  resolve: { mirror: ${JSON.stringify(shared)}, offline: true, cacheDir: ${JSON.stringify(join(tmp, 'cache'))} },
});
console.log(JSON.stringify({ k: r.k, trainLoss: r.curves[0].trainLoss, auroc: r.test.auroc }));
`,
    );
    const r = ok(await run(join(bin, 'node'), [script], { cwd: app, env: appEnv }), 'finetune');
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(out.k).toBe(3);
    expect(Number.isFinite(out.trainLoss)).toBe(true);
  });

  it('a prebuild tagged for another LibTorch is refused with a message, not loaded', async () => {
    const tagFile = join(app, 'node_modules', 'ttl-torch', 'prebuilds', 'linux-x64', 'ttl-torch.napi.json');
    const tag = JSON.parse(readFileSync(tagFile, 'utf8'));
    writeFileSync(tagFile, JSON.stringify({ ...tag, libtorch: '2.1.0', tag: 'libtorch 2.1.0 cpu' }));
    try {
      const r = await run(join(bin, 'npx'), ['ttl-torch', 'info'], { cwd: app, env: appEnv });
      expect(r.signal).toBeNull();
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/\[E_NATIVE_MISMATCH\].*it links libtorch 2\.1\.0 cpu \(LibTorch 2\.1\.0\) but this system has LibTorch \S+ \(.*TorchConfigVersion\.cmake\)/);
      expect(r.stderr).toContain('apt-get install -y --no-install-recommends libtorch-dev');
    } finally {
      writeFileSync(tagFile, JSON.stringify(tag));
    }
  });
});
