// ttl-torch/runtime: the LibTorch underneath (version, origin, CUDA, c10d backends), thread settings and the
// cores this process may use.
import { invalidParameterError } from './errors.js';
import { call, callSync } from './native/call.js';
import { loadedAddon, native, type BuildInfo } from './native/loader.js';
import type { NativeCpuLimit, NativeRuntimeInfo } from './native/binding.js';
import { isaCaps, type IsaCapVariable } from './native/isa.js';

export { loadNative } from './native/loader.js';
export type { NativeCpuLimit as CpuLimit } from './native/binding.js';
import { integerIn } from './validate.js';

export interface RuntimeInfo extends NativeRuntimeInfo {
  defaultDevice: 'cuda' | 'cpu';
  /** Which addon file was loaded: a local build, or a prebuild with its LibTorch tag. */
  addon: string;
  /**
   * Where the addon's LibTorch came from: Debian's libtorch-dev, PyTorch's pip wheel, or an unpacked archive
   * (LIBTORCH), with its CMake folder; undefined for a build that predates the record.
   */
  libtorchFrom?: { source: BuildInfo['source']; dir: string };
  /** The c10d backends compiled in (none without c10d). */
  distributed: { gloo: boolean; nccl: boolean };
  /** The cores threads may use here (affinity and cgroup CPU quota); the adaptive count never exceeds it. */
  cpuLimit: NativeCpuLimit;
  /**
   * The instructions the CPU and OS offer, as /proc/cpuinfo names them, whatever the caps below allow: some of
   * avx, fma, avx2, avx_vnni, avx512f, avx512bw, avx512_vnni, avx512_bf16, amx_bf16, amx_int8. bf16 is emulated
   * (slow) without avx512_bf16 or amx_bf16; int8 convolutions saturate and run slower without a VNNI.
   */
  cpuFeatures: string[];
  /**
   * The environment variables set for this process that cap the ISA of LibTorch's kernels below what
   * cpuFeatures offers (ATEN_CPU_CAPABILITY, ONEDNN_MAX_CPU_ISA, MKL_ENABLE_INSTRUCTIONS, OPENBLAS_CORETYPE, ...;
   * src/native/isa.ts lists them); empty when none is.
   */
  isaCaps: Partial<Record<IsaCapVariable, string>>;
}

/** LibTorch version and origin, CUDA (compiled in, available), c10d backends and the compute thread's settings. */
export async function runtimeInfo(): Promise<RuntimeInfo> {
  const info = await call(() => native().info());
  const addon = loadedAddon()!;
  const where = addon.kind === 'prebuild' ? `prebuild ${addon.path} (${addon.tag?.tag})` : `local build ${addon.path}`;
  const libtorchFrom = addon.built
    ? { source: addon.built.source, dir: addon.built.torchDir }
    : addon.wheel
      ? { source: 'pip' as const, dir: addon.wheel.dir }
      : addon.tag?.debian
        ? { source: 'debian' as const, dir: `${addon.tag.debian.package} ${addon.tag.debian.version}` }
        : undefined;
  return {
    ...info,
    defaultDevice: info.cudaAvailable ? 'cuda' : 'cpu',
    addon: where,
    ...(libtorchFrom ? { libtorchFrom } : {}),
    distributed: native().distributedSupport(),
    cpuLimit: cpuLimit(),
    cpuFeatures: native().cpuFeatures(),
    isaCaps: isaCaps(),
  };
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

/** The cores this process may use: its CPU affinity, capped by its cgroup's CPU quota (TTL_TORCH_CGROUP_ROOT moves the cgroup root). */
export function cpuLimit(): NativeCpuLimit {
  return callSync(() => native().cpuLimit());
}

/**
 * LibTorch's deterministic algorithms, process-wide, from the next native call on: an operation that has no
 * deterministic implementation then fails with an error instead of varying between runs.
 */
export function setDeterministic(on: boolean): void {
  if (typeof on !== 'boolean') throw invalidParameterError('deterministic', 'true or false', on);
  callSync(() => native().setDeterministic(on));
}
