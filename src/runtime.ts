import { call, callSync } from './errors.js';
import { loadedAddon, native, type NativeRuntimeInfo } from './native.js';
import { integerIn } from './validate.js';

export interface RuntimeInfo extends NativeRuntimeInfo {
  defaultDevice: 'cuda' | 'cpu';
  /** Which addon file was loaded: a local build, or a prebuild with its LibTorch tag. */
  addon: string;
}

/** LibTorch version, CUDA availability and the compute thread's settings. */
export async function runtimeInfo(): Promise<RuntimeInfo> {
  const info = await call(() => native().info());
  const addon = loadedAddon()!;
  const where = addon.kind === 'prebuild' ? `prebuild ${addon.path} (${addon.tag?.tag})` : `local build ${addon.path}`;
  return { ...info, defaultDevice: info.cudaAvailable ? 'cuda' : 'cpu', addon: where };
}

/**
 * Intra-op threads for the compute thread; applies before the next native call. A number fixes the count;
 * 'auto' (the default, also 0) re-measures before each task how many cores other processes leave free and uses
 * those (1 to all cores): beside a competing CPU-bound process, all cores trained slower than one.
 */
export function setThreads(threads: number | 'auto'): void {
  const count = threads === 'auto' ? 0 : integerIn('threads', threads, 0, 1024);
  callSync(() => native().setThreads(count));
}
