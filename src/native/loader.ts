// The only module that loads the compiled addon; everything else imports its typed surface.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isMainThread, Worker } from 'node:worker_threads';
import { dirname, join, relative, resolve } from 'node:path';
import { TtlError } from '../errors.js';
import { findPipTorch, pipPython, preloadLibraries, wheelLibraries, type PipTorch } from './pip-torch.js';
import { packageRoot } from '../package-root.js';
import { checkIsaCaps } from './isa.js';
import type { Binding } from './binding.js';

let binding: Binding | undefined;
let loaded: AddonChoice | undefined;

/** The sidecar `npm run prebuildify` writes beside a prebuild (`<name>.napi.json`). */
export interface PrebuildTag {
  /** "libtorch 1.13.1 cpu": the LibTorch the prebuild links, as its package names it. */
  tag: string;
  /** LibTorch's own version (headers, TorchConfigVersion.cmake): Debian's 1.13.1 package says 1.13.0 here. */
  libtorch: string;
  variant: 'cpu' | 'cuda';
  /** The Debian package that provided it, when one did. */
  debian?: { package: string; version: string };
  /** PyTorch's pip wheel that provided it, when one did: its torch version ("2.15.0+cu132"). */
  pip?: { torch: string };
  platform: string;
  arch: string;
  napi: number;
  /** glibc of the build machine: older ones cannot load it. */
  glibc?: string;
  /** DT_NEEDED entries of the .node and its DT_RUNPATH ($ORIGIN = the prebuild's folder). */
  needed: string[];
  runpath: string[];
}

/** What CMakeLists.txt writes beside a local build (`ttl_torch.json`): the LibTorch it was compiled against. */
export interface BuildInfo {
  libtorch: string;
  variant: 'cpu' | 'cuda';
  /** Where that LibTorch came from: Debian's libtorch-dev, PyTorch's pip wheel, or an unpacked archive (LIBTORCH). */
  source: 'debian' | 'pip' | 'unpacked';
  torchDir: string;
}

export interface AddonChoice {
  path: string;
  kind: 'build' | 'prebuild';
  tag?: PrebuildTag;
  built?: BuildInfo;
  /** A pip prebuild's wheel, found at load time, and its libraries to map before the addon. */
  wheel?: PipTorch;
  preload?: string[];
}

/** The LibTorch a plain dlopen would find: its CMake package's version and the Debian package, each if present. */
export interface SystemLibtorch {
  cmake?: { version: string; file: string };
  debian?: { package: string; version: string };
}

export const prebuildDir = (root = packageRoot) => join(root, 'prebuilds', `${process.platform}-${process.arch}`);
/** The prebuild linking Debian's LibTorch ('debian'), or the one linking PyTorch's pip wheel ('pip'). */
export const prebuildFile = (root = packageRoot, libtorch: 'debian' | 'pip' = 'debian') =>
  join(prebuildDir(root), libtorch === 'pip' ? 'ttl-torch-pip.napi.node' : 'ttl-torch.napi.node');
const tagFile = (node: string) => node.replace(/\.node$/, '.json');

/**
 * The addon `npm run build:native` compiles: build/Release/ttl_torch.node, or under TTL_TORCH_BUILD_DIR, which
 * keeps a second build (another LibTorch) beside the default one; scripts/build-native.mjs reads the same variable.
 */
export const localBuildFile = (root = packageRoot, env: NodeJS.ProcessEnv = process.env) =>
  join(resolve(root, env.TTL_TORCH_BUILD_DIR || 'build'), 'Release', 'ttl_torch.node');

export function readBuildInfo(node: string): BuildInfo | undefined {
  const file = join(dirname(node), 'ttl_torch.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as BuildInfo) : undefined;
}

const multiarch = ({ x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' } as Record<string, string>)[process.arch] ?? '';
/** "1:1.13.1+dfsg-4" -> "1.13.1": a Debian version without epoch, repack suffix and revision. */
const upstream = (debianVersion: string) => /^(?:\d+:)?([\d.]+)/.exec(debianVersion)?.[1] ?? debianVersion;

/**
 * The installed LibTorch, read from two places because each can be absent: the CMake package (only with
 * libtorch-dev) and the Debian package database (also runtime-only installs, e.g. libtorch1.13).
 */
export function systemLibtorch(): SystemLibtorch {
  const found: SystemLibtorch = {};
  for (const dir of [`/usr/lib/${multiarch}/cmake/Torch`, '/usr/lib/cmake/Torch', '/usr/local/lib/cmake/Torch', '/usr/local/share/cmake/Torch']) {
    const file = join(dir, 'TorchConfigVersion.cmake');
    if (!existsSync(file)) continue;
    const version = /set\(PACKAGE_VERSION "([^"]+)"\)/.exec(readFileSync(file, 'utf8'))?.[1];
    if (version) {
      found.cmake = { version, file };
      break;
    }
  }
  const status = '/var/lib/dpkg/status';
  if (existsSync(status))
    for (const stanza of readFileSync(status, 'utf8').split('\n\n')) {
      const pkg = /^Package: (libtorch\d[\d.]*)$/m.exec(stanza)?.[1];
      const version = /^Version: (.+)$/m.exec(stanza)?.[1];
      if (pkg && version && /^Status: .* installed$/m.test(stanza)) {
        found.debian = { package: pkg, version };
        break;
      }
    }
  return found;
}

/** The folders the dynamic loader searches for a library without a slash, in the order it does. */
function librarySearchPath(runpath: string[]): string[] {
  const dirs = (process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean).concat(runpath);
  const conf = (file: string, depth: number) => {
    if (depth > 4 || !existsSync(file)) return;
    for (const raw of readFileSync(file, 'utf8').split('\n')) {
      const line = raw.replace(/#.*/, '').trim();
      const include = /^include\s+(.+)$/.exec(line)?.[1];
      if (!include) {
        if (line) dirs.push(line);
        continue;
      }
      // The only glob ld.so.conf files use in practice: a folder and a "*.conf"-like file pattern.
      const [folder, pattern] = [dirname(include), include.slice(dirname(include).length + 1)];
      const escaped = pattern.replace(/[.+^$(){}|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
      const match = new RegExp(`^${escaped}$`);
      if (existsSync(folder)) for (const f of readdirSync(folder).filter((n) => match.test(n)).sort()) conf(join(folder, f), depth + 1);
    }
  };
  conf('/etc/ld.so.conf', 0);
  return dirs.concat([`/lib/${multiarch}`, `/usr/lib/${multiarch}`, '/lib', '/usr/lib', '/lib64', '/usr/lib64']);
}

/**
 * Why a prebuild cannot be loaded here, or undefined when it can. Checked before dlopen: a LibTorch
 * other than the one a prebuild was linked against either fails to load with a cryptic linker error
 * or, with a compatible soname but another ABI, crashes later; a message naming both versions is better.
 */
export function prebuildProblem(
  node: string,
  tag: PrebuildTag | undefined,
  system = systemLibtorch(),
  env: NodeJS.ProcessEnv = process.env,
  torch: PipTorch | undefined = tag?.pip ? findPipTorch(env) : undefined,
): string | undefined {
  if (!tag) return `it has no ${relative(dirname(node), tagFile(node))} saying which LibTorch it links`;
  if (tag.platform !== process.platform || tag.arch !== process.arch) return `it is for ${tag.platform}-${tag.arch}, not ${process.platform}-${process.arch}`;
  if (tag.napi > Number(process.versions.napi)) return `it needs N-API ${tag.napi}; Node ${process.version} has ${process.versions.napi}`;
  if (tag.glibc) {
    const runtime = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header?.glibcVersionRuntime;
    const older = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true }) < 0;
    if (runtime && older(runtime, tag.glibc)) return `it was built with glibc ${tag.glibc}; this system has ${runtime}`;
  }
  if (tag.pip) {
    // Its LibTorch is the wheel's, wherever a Python finds it; the system's LibTorch does not matter.
    if (!torch) return `it links ${tag.tag} but ${pipPython(env)} has no torch package (TTL_TORCH_PYTHON names another Python)`;
    if (torch.version !== tag.pip.torch) return `it links ${tag.tag} but ${torch.python} has torch ${torch.version} (${torch.dir})`;
    const missing = tag.needed.filter((lib) => /^lib(torch|c10)/.test(lib) && !existsSync(join(torch.dir, 'lib', lib)));
    if (missing.length) return `it links ${tag.tag} but ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not in ${join(torch.dir, 'lib')}`;
    return undefined;
  }
  if (system.cmake && system.cmake.version !== tag.libtorch)
    return `it links ${tag.tag} (LibTorch ${tag.libtorch}) but this system has LibTorch ${system.cmake.version} (${system.cmake.file})`;
  if (system.debian && tag.debian && (system.debian.package !== tag.debian.package || upstream(system.debian.version) !== upstream(tag.debian.version)))
    return `it links ${tag.tag} (Debian ${tag.debian.package} ${tag.debian.version}) but this system has ${system.debian.package} ${system.debian.version}`;
  const dirs = librarySearchPath(tag.runpath.map((d) => d.replace(/\$(ORIGIN|\{ORIGIN\})/g, dirname(node))));
  const missing = tag.needed.filter((lib) => !dirs.some((d) => existsSync(join(d, lib))));
  if (missing.length)
    return `it links ${tag.tag} but ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not installed (searched LD_LIBRARY_PATH, /etc/ld.so.conf and the system folders)`;
  return undefined;
}

export function readPrebuildTag(node: string): PrebuildTag | undefined {
  const file = tagFile(node);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as PrebuildTag) : undefined;
}

const installHint =
  "Install LibTorch and the build tools, then build the addon: 'sudo apt-get install -y --no-install-recommends libtorch-dev cmake g++ make' " +
  "and 'npm rebuild ttl-torch' (in a checkout: 'npm run build:native'); or LIBTORCH=/path/to/libtorch npm rebuild ttl-torch for another " +
  'LibTorch (e.g. an official CUDA build).';

/**
 * Which addon to load. A local build comes first, as node-gyp-build does: it was compiled here, against
 * this system (or LIBTORCH's) LibTorch, and in a checkout it is newer than any prebuild lying around.
 * Then a prebuild whose LibTorch tag matches: Debian's (the system LibTorch), then the pip wheel's (torch as
 * a Python finds it, its libraries preloaded). With LIBTORCH set only a source build will do: it asks for a
 * LibTorch no prebuild was linked against.
 */
export function locateAddon(root = packageRoot, env: NodeJS.ProcessEnv = process.env): AddonChoice {
  const build = localBuildFile(root, env);
  if (existsSync(build)) return { path: build, kind: 'build', built: readBuildInfo(build) };
  if (env.TTL_TORCH_BUILD_DIR)
    throw new TtlError(
      'E_NATIVE_MISSING',
      `TTL_TORCH_BUILD_DIR is set (${env.TTL_TORCH_BUILD_DIR}) but ${build} does not exist: build it with 'npm run build:native' and the same variable set.`,
    );
  const libtorchEnv = env.LIBTORCH || env.Torch_DIR;
  if (libtorchEnv)
    throw new TtlError(
      'E_NATIVE_MISSING',
      `LIBTORCH/Torch_DIR is set (${libtorchEnv}), so the addon must be built from source against it and ${build} does not exist: ` +
        `run 'npm rebuild ttl-torch' (in a checkout: 'npm run build:native') with the same variable set.`,
    );
  let refused = '';
  const system = systemLibtorch();
  for (const node of [prebuildFile(root, 'debian'), prebuildFile(root, 'pip')]) {
    if (!existsSync(node)) continue;
    const tag = readPrebuildTag(node);
    const torch = tag?.pip ? findPipTorch(env) : undefined;
    const problem = prebuildProblem(node, tag, system, env, torch);
    if (!problem) return { path: node, kind: 'prebuild', tag, ...(torch ? { wheel: torch, preload: wheelLibraries(torch, tag!.needed) } : {}) };
    refused += ` The prebuild ${node} was not used: ${problem}.`;
  }
  throw new TtlError(
    refused ? 'E_NATIVE_MISMATCH' : 'E_NATIVE_MISSING',
    `no usable native addon for ${process.platform}-${process.arch} (no ${build}).${refused} ${installHint}`,
  );
}

// loadNative's worker and native() load the same addon: it is located once (a pip prebuild asks a Python where
// torch is), and a failed search is not kept, so a later call looks again.
let chosen: AddonChoice | undefined;
const chosenAddon = () => (chosen ??= locateAddon());

/** The addon in use (after the first native() call), for `ttl-torch info`. */
export function loadedAddon(): AddonChoice | undefined {
  return loaded;
}

// libgomp spin-waits ~3 ms by default; beside any other CPU-bound process, 2 threads then trained at 17-47 img/s
// against 220 with PASSIVE (README, issue #12). A fully passive wait costs batch-1 serving a futex wake-up per
// operator (ResNet-50 k = 17: 78 ms against 63 ms with a 10,000-iteration spin, ~0.1 ms, on the 2-core machine),
// so the default is passive after that short spin. An environment that sets either variable keeps its own
// choice. libgomp reads both when LibTorch is first loaded.
const waitPassively = () => {
  if (process.env.OMP_WAIT_POLICY !== undefined) return;
  process.env.OMP_WAIT_POLICY = 'PASSIVE';
  process.env.GOMP_SPINCOUNT ??= '10000';
};

/**
 * Loads the native addon without blocking the event loop: mapping LibTorch's shared libraries took 0.7-0.9 s
 * here, so a worker thread loads them first and the main thread's load then finds them in place (~4 ms).
 * createModel and loadPredictor call it; other entry points load the addon synchronously on first use.
 */
export async function loadNative(): Promise<void> {
  if (binding) return;
  waitPassively();
  const { path, preload: libraries = [] } = chosenAddon();
  const maps = [...libraries, path].map((file) => `try { process.dlopen({ exports: {} }, ${JSON.stringify(file)}); } catch {}`);
  const preload = new Worker(maps.join('\n'), { eval: true });
  // A failure is reported by the synchronous load below, with its install hint.
  await new Promise((done) => preload.once('exit', done).once('error', done));
  native();
}

/**
 * Resolves once the compute thread has run what was posted to it (or after timeoutMs): a process that exits
 * while that thread is inside LibTorch (starting its OpenMP pool, say) races the libraries' static destructors
 * and can corrupt the heap on the way out.
 */
export async function computeThreadIdle(timeoutMs = 2000): Promise<void> {
  if (!binding) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([binding.info().catch(() => {}), new Promise((done) => (timer = setTimeout(done, timeoutMs)))]);
  clearTimeout(timer);
}

/** Loads the addon once; see locateAddon for which one. */
export function native(): Binding {
  if (binding) return binding;
  const choice = chosenAddon();
  const require = createRequire(import.meta.url);
  waitPassively();
  let addon: Binding;
  try {
    preloadLibraries(choice.preload ?? []);
    addon = require(choice.path) as Binding;
  } catch (error) {
    throw new TtlError('E_NATIVE', `loading ${choice.path} failed: ${(error as Error).message}. ${installHint}`, { cause: error });
  }
  checkIsaCaps(addon.cpuFeatures());
  binding = addon;
  loaded = choice;
  // exit() destroys LibTorch's statics: no kernel may still run then. The compute thread serves the whole process,
  // so only the main thread's exit stops it.
  if (isMainThread) process.once('exit', () => binding!.stopComputeThread());
  const threads = envThreads();
  if (threads) binding.setThreads(threads);
  return binding;
}

/** TTL_TORCH_THREADS as a fixed count; 0 for 'auto' (or 0), undefined when unset; any other value is named. */
export function envThreads(): number | undefined {
  const threads = process.env.TTL_TORCH_THREADS;
  if (threads === undefined) return undefined;
  if (threads === 'auto') return 0;
  if (/^\d+$/.test(threads)) return Number(threads);
  throw new TtlError('E_BAD_ARGUMENT', `TTL_TORCH_THREADS must be a whole number of threads or 'auto', got '${threads}'`);
}
