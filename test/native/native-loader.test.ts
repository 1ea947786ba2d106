// Which addon the loader picks, on real files: a copy of this checkout's compiled addon placed as a prebuild
// in a temporary package root, with tags that match this system or deliberately do not.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { localBuildFile, locateAddon, prebuildFile, prebuildProblem, readBuildInfo, systemLibtorch, type PrebuildTag } from '../../src/native/loader.js';
import { findPipTorch } from '../../src/native/pip-torch.js';
import { root } from '../support/helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'ttl-loader-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// The prebuild cases copy the Debian build (build/, the LibTorch a prebuild links); the pip leg of .ci/run
// builds it first too. The local-build cases take whichever build this run loads (TTL_TORCH_BUILD_DIR).
const built = localBuildFile(root, {});
const loaded = localBuildFile(root);
/** A shared object's DT_NEEDED entries, as scripts/prebuild.mjs records them. */
const neededBy = (file: string) =>
  [...spawnSync('readelf', ['--dynamic', '--wide', file], { encoding: 'utf8' }).stdout.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
const needed = neededBy(built);
const system = systemLibtorch();

/** A tag describing this machine exactly, as scripts/prebuild.mjs would write it. */
const matching = (): PrebuildTag => ({
  tag: 'libtorch 1.13.1 cpu', libtorch: system.cmake!.version, variant: 'cpu', debian: system.debian,
  platform: process.platform, arch: process.arch, napi: 8, needed, runpath: [],
});

function packageRoot(name: string, tag: PrebuildTag | undefined): string {
  const dir = join(tmp, name);
  const node = prebuildFile(dir);
  mkdirSync(join(node, '..'), { recursive: true });
  copyFileSync(built, node);
  if (tag) writeFileSync(node.replace(/\.node$/, '.json'), JSON.stringify(tag));
  return dir;
}

describe('addon loader', () => {
  it('reads the installed LibTorch from its CMake package and from dpkg', () => {
    expect(system.cmake?.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(system.cmake?.file).toMatch(/TorchConfigVersion\.cmake$/);
    expect(system.debian?.package).toMatch(/^libtorch\d/);
    expect(needed.some((lib) => /^libtorch(_cpu)?\.so\./.test(lib))).toBe(true);
  });

  it('prefers the local build of a checkout, with the LibTorch it was compiled against', () => {
    expect(readBuildInfo(built)?.source).toBe('debian');
    expect(locateAddon(root, {})).toEqual({ path: built, kind: 'build', built: readBuildInfo(built) });
    expect(locateAddon(root)).toEqual({ path: loaded, kind: 'build', built: readBuildInfo(loaded) });
  });

  it('TTL_TORCH_BUILD_DIR names the build to load, and its absence is an error naming it', () => {
    expect(locateAddon(root, { TTL_TORCH_BUILD_DIR: 'build' }).path).toBe(built);
    expect(() => locateAddon(root, { TTL_TORCH_BUILD_DIR: 'no-such-build' })).toThrow(
      expect.objectContaining({ code: 'E_NATIVE_MISSING', message: expect.stringContaining(`TTL_TORCH_BUILD_DIR is set (no-such-build) but ${join(root, 'no-such-build', 'Release', 'ttl_torch.node')} does not exist`) }),
    );
  });

  it('loadNative maps LibTorch on a worker thread, so the first load keeps the event loop turning', () => {
    // A 5 ms interval counts its ticks while the addon loads (0.7-0.9 s here when done synchronously).
    const script = `const { loadNative, runtimeInfo } = await import(${JSON.stringify(join(root, 'dist', 'runtime.js'))});
      let ticks = 0; const timer = setInterval(() => ticks++, 5);
      await loadNative(); clearInterval(timer);
      const info = await runtimeInfo();
      console.log(JSON.stringify({ ticks, libtorch: info.libtorch }));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, TTL_TORCH_THREADS: '1' } });
    expect(r.stderr).toBe('');
    const { ticks, libtorch } = JSON.parse(r.stdout);
    expect(libtorch).toBe(readBuildInfo(loaded)!.libtorch);
    expect(ticks).toBeGreaterThan(2);
  });

  it("sets libgomp's wait before LibTorch loads: passive after a short spin, unless the environment chose", () => {
    const script = `const { loadNative } = await import(${JSON.stringify(join(root, 'dist', 'runtime.js'))});
      await loadNative();
      console.log(JSON.stringify({ policy: process.env.OMP_WAIT_POLICY, spin: process.env.GOMP_SPINCOUNT ?? null }));`;
    const { OMP_WAIT_POLICY: _policy, GOMP_SPINCOUNT: _spin, ...base } = process.env;
    const waitOf = (env: Record<string, string>) => {
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000, env: { ...base, TTL_TORCH_THREADS: '1', ...env } });
      expect(r.stderr).toBe('');
      return JSON.parse(r.stdout);
    };
    expect(waitOf({})).toEqual({ policy: 'PASSIVE', spin: '10000' });
    expect(waitOf({ GOMP_SPINCOUNT: '500' })).toEqual({ policy: 'PASSIVE', spin: '500' });
    expect(waitOf({ OMP_WAIT_POLICY: 'ACTIVE' })).toEqual({ policy: 'ACTIVE', spin: null });
    expect(waitOf({ OMP_WAIT_POLICY: 'PASSIVE' })).toEqual({ policy: 'PASSIVE', spin: null });
  });

  it('a process that exits at once, while the compute thread still applies TTL_TORCH_THREADS, exits cleanly', () => {
    // exit() used to destroy LibTorch's statics under that task: 7 to 11 of 20 such processes aborted or crashed.
    const script = `const { loadNative } = await import(${JSON.stringify(join(root, 'dist', 'runtime.js'))});
      await loadNative();
      process.exit(0);`;
    for (let i = 0; i < 10; i++) {
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, TTL_TORCH_THREADS: '1' } });
      expect({ status: r.status, signal: r.signal, stderr: r.stderr }).toEqual({ status: 0, signal: null, stderr: '' });
    }
  });

  it('takes a prebuild whose tag matches this system, and it really loads', () => {
    const dir = packageRoot('match', matching());
    const choice = locateAddon(dir, {});
    expect(choice.kind).toBe('prebuild');
    expect(choice.path).toBe(prebuildFile(dir));
    const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(choice.path)}).info().then((i) => console.log(i.libtorch))`], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe(system.cmake!.version);
  });

  it('refuses a prebuild for another LibTorch version, naming both', () => {
    const dir = packageRoot('version', { ...matching(), libtorch: '2.1.0', tag: 'libtorch 2.1.0 cpu' });
    expect(() => locateAddon(dir, {})).toThrow(
      expect.objectContaining({
        code: 'E_NATIVE_MISMATCH',
        message: expect.stringContaining(
          `was not used: it links libtorch 2.1.0 cpu (LibTorch 2.1.0) but this system has LibTorch ${system.cmake!.version} (${system.cmake!.file})`,
        ),
      }),
    );
  });

  it('refuses a prebuild from another Debian LibTorch package', () => {
    const problem = prebuildProblem(prebuildFile(tmp), { ...matching(), debian: { package: 'libtorch2.1', version: '2.1.2+dfsg-1' } }, { debian: system.debian });
    expect(problem).toBe(`it links libtorch 1.13.1 cpu (Debian libtorch2.1 2.1.2+dfsg-1) but this system has ${system.debian!.package} ${system.debian!.version}`);
  });

  it('refuses a prebuild whose shared libraries are not installed, before dlopen', () => {
    // With no version information to compare, the sonames are what stands between the loader and a dlopen error.
    const problem = prebuildProblem(prebuildFile(tmp), { ...matching(), needed: [...needed, 'libtorch.so.2.1'] }, {});
    expect(problem).toBe('it links libtorch 1.13.1 cpu but libtorch.so.2.1 is not installed (searched LD_LIBRARY_PATH, /etc/ld.so.conf and the system folders)');
  });

  it('refuses an untagged prebuild', () => {
    const dir = packageRoot('untagged', undefined);
    expect(() => locateAddon(dir, {})).toThrow(expect.objectContaining({ code: 'E_NATIVE_MISMATCH', message: expect.stringContaining('it has no ttl-torch.napi.json') }));
  });

  it('with LIBTORCH set, only a source build will do', () => {
    const dir = packageRoot('libtorch-env', matching());
    expect(() => locateAddon(dir, { LIBTORCH: '/opt/libtorch' })).toThrow(
      expect.objectContaining({ code: 'E_NATIVE_MISSING', message: expect.stringMatching(/LIBTORCH\/Torch_DIR is set \(\/opt\/libtorch\).*npm rebuild ttl-torch/) }),
    );
  });

  it('with nothing to load, says what to install and run', () => {
    mkdirSync(join(tmp, 'empty'));
    expect(() => locateAddon(join(tmp, 'empty'), {})).toThrow(
      expect.objectContaining({
        code: 'E_NATIVE_MISSING',
        message: expect.stringContaining("'sudo apt-get install -y --no-install-recommends libtorch-dev cmake g++ make' and 'npm rebuild ttl-torch'"),
      }),
    );
  });
});

// The pip prebuild: a copy of the pip leg's build (build-pip, or TTL_TORCH_BUILD_DIR) with its RUNPATH removed,
// as `npm run prebuildify -- --libtorch pip` makes it; the wheel is found through the venv's Python. The Debian
// leg of .ci/run has no pip build yet; the pip leg runs these.
const pipBuild = [loaded, join(root, 'build-pip', 'Release', 'ttl_torch.node')].find((f) => readBuildInfo(f)?.source === 'pip');
describe.runIf(pipBuild)('addon loader, pip prebuild (needs the pip build)', () => {
  const venvPython = join(resolve(root, process.env.TTL_TORCH_VENV || '.venv'), 'bin', 'python');
  const torch = findPipTorch({ TTL_TORCH_PYTHON: venvPython })!;
  const pipTag = (torchVersion: string): PrebuildTag => ({
    tag: `libtorch ${readBuildInfo(pipBuild!)!.libtorch} cuda (pip torch ${torchVersion})`, libtorch: readBuildInfo(pipBuild!)!.libtorch, variant: 'cuda',
    pip: { torch: torchVersion }, platform: process.platform, arch: process.arch, napi: 8, needed: neededBy(pipBuild!), runpath: [],
  });
  function pipRoot(name: string, tag: PrebuildTag): string {
    const dir = join(tmp, name);
    const node = prebuildFile(dir, 'pip');
    mkdirSync(join(node, '..'), { recursive: true });
    copyFileSync(pipBuild!, node);
    const patch = spawnSync('patchelf', ['--remove-rpath', node], { encoding: 'utf8' });
    expect(patch.status, patch.stderr).toBe(0);
    writeFileSync(node.replace(/\.node$/, '.json'), JSON.stringify(tag));
    return dir;
  }

  it('finds the wheel through the Python that has it, without importing torch', () => {
    expect(torch.dir).toBe(resolve(readBuildInfo(pipBuild!)!.torchDir, '..', '..', '..'));
    expect(torch.version).toMatch(/^2\.\d+\.\d+/);
    expect(findPipTorch({ TTL_TORCH_PYTHON: '/nonexistent/python' })).toBeUndefined();
  });

  it('takes a pip prebuild whose torch matches, and it loads only with the wheel preloaded', () => {
    const dir = pipRoot('pip-match', pipTag(torch.version));
    const choice = locateAddon(dir, { TTL_TORCH_PYTHON: venvPython });
    expect(choice).toMatchObject({ kind: 'prebuild', path: prebuildFile(dir, 'pip') });
    expect(choice.preload).toContain(join(torch.dir, 'lib', 'libtorch.so'));
    const load = (preload: string[]) =>
      spawnSync(process.execPath, ['--input-type=module', '-e',
        `const { preloadLibraries } = await import(${JSON.stringify(join(root, 'dist', 'native', 'pip-torch.js'))});
         preloadLibraries(${JSON.stringify(preload)});
         const info = await (await import('node:module')).createRequire(import.meta.url)(${JSON.stringify(choice.path)}).info();
         console.log(info.libtorch, info.cudaCompiled);`], { encoding: 'utf8', env: { ...process.env, LD_LIBRARY_PATH: '' } });
    const r = load(choice.preload!);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe(`${readBuildInfo(pipBuild!)!.libtorch} true`);
    // Without the wheel mapped first, nothing tells the dynamic loader where libtorch.so is.
    expect(load([]).stderr).toMatch(/lib(torch|c10)[\w_]*\.so: cannot open shared object file/);
  });

  it('refuses a pip prebuild for another torch, naming both', () => {
    const dir = pipRoot('pip-version', pipTag('2.14.1+cpu'));
    expect(() => locateAddon(dir, { TTL_TORCH_PYTHON: venvPython })).toThrow(
      expect.objectContaining({ code: 'E_NATIVE_MISMATCH', message: expect.stringContaining(`it links libtorch ${readBuildInfo(pipBuild!)!.libtorch} cuda (pip torch 2.14.1+cpu) but ${venvPython} has torch ${torch.version} (${torch.dir})`) }),
    );
    expect(() => locateAddon(dir, { TTL_TORCH_PYTHON: '/nonexistent/python' })).toThrow(
      expect.objectContaining({ code: 'E_NATIVE_MISMATCH', message: expect.stringContaining('but /nonexistent/python has no torch package (TTL_TORCH_PYTHON names another Python)') }),
    );
  });
});
