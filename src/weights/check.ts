// The last JS check before tensors cross into the addon: a dtype it knows, integer shapes, and data
// that fits them, so a hostile file never reaches LibTorch as "A number was expected" or an empty dtype.
import { TtlError } from '../errors.js';
import { DTYPE_BYTES, type SafeTensor } from './safetensors.js';

export function checkTensors(tensors: SafeTensor[], path: string): SafeTensor[] {
  for (const t of tensors) {
    const fail = (what: string) => new TtlError('E_BAD_WEIGHTS', `${path}: tensor ${t.name} ${what}`);
    if (typeof t.name !== 'string') throw new TtlError('E_BAD_WEIGHTS', `${path}: a tensor name is not a string`);
    if (typeof t.dtype !== 'string' || !Object.hasOwn(DTYPE_BYTES, t.dtype)) throw fail(`has unsupported dtype ${String(t.dtype)}`);
    if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw fail('has an invalid shape');
    const bytes = t.shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[t.dtype];
    if (!(t.data instanceof Uint8Array) || t.data.byteLength !== bytes) throw fail(`has ${t.data?.byteLength} bytes for shape [${t.shape}] ${t.dtype}`);
  }
  return tensors;
}
