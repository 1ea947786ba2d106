// bf16 autocast on a CPU without BF16 instructions: LibTorch emulates bf16 with conversions around fp32 kernels,
// and a training step runs many times slower than in float32 (a ResNet-50 step at 64 px on an AVX2 CPU: 0.04x
// with LibTorch 1.13, 0.09x with 2.15). Training still does what was asked; it says so once per process.
import { hasBf16Instructions } from '../native/isa.js';
import { native } from '../native/loader.js';

let warned = false;

/** Whether this CPU has BF16 instructions (AVX512-BF16 or AMX), by CPUID (runtimeInfo().cpuFeatures). */
export function cpuHasBf16(): boolean {
  return hasBf16Instructions(native().cpuFeatures());
}

/** Warns (once; code TTL_TORCH_SLOW_BF16) when bf16 autocast trains on a CPU that has to emulate it. */
export function warnIfBf16Emulated(autocast: '' | 'bf16', device: string): void {
  if (warned || autocast !== 'bf16' || device !== 'cpu' || cpuHasBf16()) return;
  warned = true;
  process.emitWarning('bf16 autocast on a CPU without BF16 instructions (no avx512_bf16 or amx_bf16): LibTorch emulates bf16, ' +
    'and training runs many times slower than in float32; leave autocast unset here', { code: 'TTL_TORCH_SLOW_BF16' });
}
