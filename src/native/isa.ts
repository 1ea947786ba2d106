// The variables through which one x86 machine imitates a CPU with fewer instructions, one per library that
// picks its kernels from CPUID, and the profiles the suite is run under (scripts/isa-caps.mjs). A test whose
// verdict moves under a profile depends on the CPU's rounding; tests/CI run the native tier under the profile
// most unlike the machine.
import { TtlError } from '../errors.js';

/** Each library's own variable; a library the LibTorch line does not link ignores its variable. */
export const ISA_CAP_VARIABLES = [
  'ATEN_CPU_CAPABILITY', // ATen's vectorised CPU kernels (both lines)
  'ONEDNN_MAX_CPU_ISA', // oneDNN: convolutions (both lines), int8 on the onednn engine
  'DNNL_MAX_CPU_ISA', // oneDNN's older name for the same cap
  'MKL_ENABLE_INSTRUCTIONS', // MKL: GEMM on the pip wheel
  'OPENBLAS_CORETYPE', // OpenBLAS: GEMM on Debian's libtorch (and numpy)
  'FBGEMM_ENABLE_INSTRUCTIONS', // FBGEMM: int8 on the fbgemm and x86 engines (pip wheel)
] as const;
export type IsaCapVariable = (typeof ISA_CAP_VARIABLES)[number];

/**
 * Profiles, lowest first. 'sse41' has no FMA, so every dot product rounds differently from the other two;
 * FBGEMM needs AVX2 and is left alone there (the x86 and fbgemm int8 engines keep their AVX2 kernels).
 */
export const ISA_PROFILES = {
  sse41: {
    requires: [], env: { ATEN_CPU_CAPABILITY: 'default', ONEDNN_MAX_CPU_ISA: 'SSE41', MKL_ENABLE_INSTRUCTIONS: 'SSE4_2', OPENBLAS_CORETYPE: 'Nehalem' },
  },
  avx2: {
    requires: ['avx2', 'fma'],
    env: { ATEN_CPU_CAPABILITY: 'avx2', ONEDNN_MAX_CPU_ISA: 'AVX2', MKL_ENABLE_INSTRUCTIONS: 'AVX2', OPENBLAS_CORETYPE: 'Haswell', FBGEMM_ENABLE_INSTRUCTIONS: 'AVX2' },
  },
  avx512: {
    requires: ['avx512f', 'avx512bw'],
    env: { ATEN_CPU_CAPABILITY: 'avx512', ONEDNN_MAX_CPU_ISA: 'AVX512_CORE', MKL_ENABLE_INSTRUCTIONS: 'AVX512', OPENBLAS_CORETYPE: 'SkylakeX', FBGEMM_ENABLE_INSTRUCTIONS: 'AVX512' },
  },
} as const satisfies Record<string, { requires: string[]; env: Partial<Record<IsaCapVariable, string>> }>;
export type IsaProfile = keyof typeof ISA_PROFILES;

/** The profile most unlike a CPU with these features: AVX2 on an AVX-512 machine, SSE4.1 below that. */
export function mostUnlikeProfile(features: readonly string[]): IsaProfile {
  return ISA_PROFILES.avx512.requires.every((f) => features.includes(f)) ? 'avx2' : 'sse41';
}

/**
 * Caps that ask for more than the CPU has are not caps: ATen and OpenBLAS then run instructions the CPU lacks and
 * the process dies of SIGILL at its first kernel (ATEN_CPU_CAPABILITY=avx512 on an AVX2 EPYC did). Named here,
 * before any kernel runs.
 */
export function checkIsaCaps(features: readonly string[], env: NodeJS.ProcessEnv = process.env): void {
  const demands: [IsaCapVariable, string, readonly string[]][] = [
    ['ATEN_CPU_CAPABILITY', 'avx512', ISA_PROFILES.avx512.requires],
    ['ATEN_CPU_CAPABILITY', 'avx2', ISA_PROFILES.avx2.requires],
    ...['SkylakeX', 'Cooperlake', 'SapphireRapids'].map((core): [IsaCapVariable, string, readonly string[]] => ['OPENBLAS_CORETYPE', core, ISA_PROFILES.avx512.requires]),
  ];
  for (const [variable, value, requires] of demands) {
    if (env[variable]?.toLowerCase() !== value.toLowerCase()) continue;
    const missing = requires.filter((f) => !features.includes(f));
    if (missing.length) {
      throw new TtlError('E_BAD_ARGUMENT', `${variable}=${env[variable]} asks for instructions this CPU lacks (${missing.join(', ')}; it has ${features.join(' ') || 'none that count'}): a cap can only lower the ISA; unset it or choose a lower one`);
    }
  }
}

/** BF16 dot products in hardware: without them LibTorch emulates bf16 autocast around fp32 kernels (slow). */
export const hasBf16Instructions = (features: readonly string[]) => features.includes('avx512_bf16') || features.includes('amx_bf16');
/** A VNNI (AVX-512 or AVX): int8 dot products without the int16 saturation and extra steps of AVX2's. */
export const hasVnni = (features: readonly string[]) => features.includes('avx512_vnni') || features.includes('avx_vnni');

/** The caps set in an environment, for runtimeInfo(), the run journal and bug reports. */
export function isaCaps(env: NodeJS.ProcessEnv = process.env): Partial<Record<IsaCapVariable, string>> {
  return Object.fromEntries(ISA_CAP_VARIABLES.filter((name) => env[name]).map((name) => [name, env[name]!]));
}
