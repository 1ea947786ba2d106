// This CPU's peak fp32 and bf16 FLOP/s, from its clock, vector width and FMA pipes, for "fraction of peak".
// FLOP per cycle and core = FMA pipes x fp32 lanes x 2. AMD Zen 4 runs AVX-512 on two 256-bit FMA pipes
// (32 fp32 FLOP/cycle; AVX512-BF16's dot products twice that); Intel cores with AVX-512 have two 512-bit
// pipes (64; some parts one); AVX2 cores two 256-bit (32). AMX tiles are not modelled.
import { existsSync, readFileSync } from 'node:fs';
import { cpuLimit } from '../dist/runtime.js';

export function cpuPeak() {
  const info = readFileSync('/proc/cpuinfo', 'utf8');
  const field = (name) => new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(info)?.[1] ?? '';
  const flags = new Set(field('flags').split(/\s+/));
  const maxFreq = '/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq';
  const ghz = existsSync(maxFreq) ? Number(readFileSync(maxFreq, 'utf8')) / 1e6 : Number(field('cpu MHz')) / 1000;
  const amd = field('vendor_id') === 'AuthenticAMD';
  const avx512 = flags.has('avx512f');
  const perCycle = avx512 && !amd ? 64 : flags.has('fma') ? 32 : 16;
  const vector = avx512 ? (amd ? 'AVX-512 on 2x256-bit FMA pipes' : 'AVX-512, 2x512-bit FMA pipes') : flags.has('avx2') ? 'AVX2, 2x256-bit FMA pipes' : 'SSE';
  const cores = cpuLimit().cores;
  const fp32 = cores * ghz * 1e9 * perCycle;
  const bf16 = flags.has('avx512_bf16') ? 2 * fp32 : null;
  return {
    cores, ghz, perCycle, vector, fp32, bf16, amx: flags.has('amx_tile'),
    describe: `${cores} cores x ${ghz.toFixed(2)} GHz x ${perCycle} fp32 FLOP/cycle (${vector}) = ${(fp32 / 1e9).toFixed(0)} GFLOP/s fp32` +
      (bf16 ? `, ${(bf16 / 1e9).toFixed(0)} bf16 (AVX512-BF16)` : '') + (flags.has('amx_tile') ? '; AMX present, not modelled' : ''),
  };
}
