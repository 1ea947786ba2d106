// The ISA profiles and the check of caps against a CPU, on the feature lists of the CPUs this project meets.
import { describe, expect, it } from 'vitest';
import { checkIsaCaps, isaCaps, mostUnlikeProfile } from '../../src/native/isa.js';

const avx2Epyc = ['avx', 'fma', 'avx2'];
const avx512Epyc = ['avx', 'fma', 'avx2', 'avx512f', 'avx512bw', 'avx512_vnni', 'avx512_bf16'];

describe('ISA caps', () => {
  it('the profile most unlike a CPU: AVX2 on AVX-512, SSE4.1 below', () => {
    expect(mostUnlikeProfile(avx512Epyc)).toBe('avx2');
    expect(mostUnlikeProfile(avx2Epyc)).toBe('sse41');
    expect(mostUnlikeProfile([])).toBe('sse41');
  });

  it('refuses a cap above the CPU, naming the variable and what is missing; lower caps pass', () => {
    expect(() => checkIsaCaps(avx2Epyc, { ATEN_CPU_CAPABILITY: 'AVX512' })).toThrow(expect.objectContaining({
      code: 'E_BAD_ARGUMENT',
      message: 'ATEN_CPU_CAPABILITY=AVX512 asks for instructions this CPU lacks (avx512f, avx512bw; it has avx fma avx2): a cap can only lower the ISA; unset it or choose a lower one',
    }));
    expect(() => checkIsaCaps(avx2Epyc, { OPENBLAS_CORETYPE: 'SkylakeX' })).toThrow(/OPENBLAS_CORETYPE=SkylakeX asks for instructions this CPU lacks/);
    expect(() => checkIsaCaps(['avx'], { ATEN_CPU_CAPABILITY: 'avx2' })).toThrow(/lacks \(avx2, fma;/);
    for (const env of [{ ATEN_CPU_CAPABILITY: 'avx2', ONEDNN_MAX_CPU_ISA: 'AVX2' }, { ATEN_CPU_CAPABILITY: 'default' }, { ONEDNN_MAX_CPU_ISA: 'AVX512_CORE' }, {}]) {
      expect(() => checkIsaCaps(avx2Epyc, env)).not.toThrow();
    }
    expect(() => checkIsaCaps(avx512Epyc, { ATEN_CPU_CAPABILITY: 'avx512', OPENBLAS_CORETYPE: 'SkylakeX' })).not.toThrow();
  });

  it('lists the caps set, and only those', () => {
    expect(isaCaps({ ATEN_CPU_CAPABILITY: 'default', PATH: '/bin', OPENBLAS_CORETYPE: 'Haswell', ONEDNN_MAX_CPU_ISA: '' })).toEqual({ ATEN_CPU_CAPABILITY: 'default', OPENBLAS_CORETYPE: 'Haswell' });
  });
});
