// PyTorch's pip wheel as the LibTorch a prebuild links: where it is and how its libraries get loaded.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';

/** The torch package a Python would import: its folder and its version ("2.15.0+cu132"). */
export interface PipTorch {
  python: string;
  dir: string;
  version: string;
}

/** The Python asked where torch is: TTL_TORCH_PYTHON, else python3 on PATH. */
export const pipPython = (env: NodeJS.ProcessEnv = process.env) => env.TTL_TORCH_PYTHON || 'python3';

/**
 * Finds torch without importing it (an import maps 1 GB of libraries and takes seconds): find_spec gives the
 * folder, version.py the version. Undefined when that Python is absent or has no torch.
 */
export function findPipTorch(env: NodeJS.ProcessEnv = process.env): PipTorch | undefined {
  const python = pipPython(env);
  const script = "import importlib.util as u; s = u.find_spec('torch'); print(s.submodule_search_locations[0] if s else '')";
  const r = spawnSync(python, ['-c', script], { encoding: 'utf8', timeout: 20_000 });
  const dir = r.status === 0 ? r.stdout.trim() : '';
  if (!dir) return undefined;
  const versionFile = join(dir, 'version.py');
  const version = existsSync(versionFile) ? /^__version__\s*=\s*['"]([^'"]+)['"]/m.exec(readFileSync(versionFile, 'utf8'))?.[1] : undefined;
  return version ? { python, dir, version } : undefined;
}

/**
 * Maps the wheel's libraries that an addon needs, by absolute path, before the addon itself: its DT_NEEDED
 * entries (libtorch.so, libc10.so, ...) are then satisfied by the objects already loaded under those sonames,
 * so a prebuild needs no RUNPATH into one machine's site-packages. Each library's own RUNPATH ($ORIGIN, the
 * wheel's layout) finds its dependencies (libgomp, the nvidia packages). process.dlopen maps a plain library
 * and then reports that it registered no Node module; that report is expected, anything else is not.
 */
export function preloadLibraries(paths: string[]): void {
  for (const path of paths) {
    try {
      process.dlopen({ exports: {} } as NodeJS.Module, path, constants.dlopen.RTLD_NOW | constants.dlopen.RTLD_GLOBAL);
    } catch (error) {
      if (!/did not self-register/.test((error as Error).message)) throw error;
    }
  }
}

/** The addon's needed libraries that the wheel provides, as paths in its lib/ folder. */
export const wheelLibraries = (torch: PipTorch, needed: string[]) => needed.map((lib) => join(torch.dir, 'lib', lib)).filter(existsSync);
