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

/** Intra-op threads for the compute thread (0 = all cores); applies before the next native call. */
export function setThreads(threads: number): void {
  const count = integerIn('threads', threads, 0, 1024);
  callSync(() => native().setThreads(count));
}
