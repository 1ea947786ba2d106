import { TtlError, invalidParameterError } from './errors.js';

/** Where a network computes: the devices LibTorch may have ('auto': CUDA where this build and machine have it). */
export type Device = 'auto' | 'cpu' | 'cuda' | `cuda:${number}`;

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
export const isInteger = (v: unknown): v is number => Number.isInteger(v);
export const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
export const isString = (v: unknown): v is string => typeof v === 'string';
export const inRange = (v: number, min: number, max: number) => v >= min && v <= max;

export function integerIn(name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!isInteger(value) || !inRange(value, min, max)) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `between ${min} and ${max}`;
    throw invalidParameterError(name, `an integer ${range}`, value);
  }
  return value;
}

export function numberIn(name: string, value: unknown, min: number, max: number): number {
  if (!isNumber(value) || !inRange(value, min, max))
    throw invalidParameterError(name, `a number between ${min} and ${max}`, value);
  return value;
}

export function booleanOf(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw invalidParameterError(name, 'a boolean', value);
  return value;
}

export function deviceOf(name: string, value: unknown): Device {
  if (!isString(value) || !/^(auto|cpu|cuda|cuda:\d+)$/.test(value))
    throw invalidParameterError(name, "'auto', 'cpu', 'cuda' or 'cuda:I' (I a device index)", value);
  return value as Device;
}

export function oneOf<T extends string>(name: string, value: unknown, choices: readonly T[]): T {
  if (!isString(value) || !choices.includes(value as T))
    throw invalidParameterError(name, `one of ${choices.map((c) => `'${c}'`).join(', ')}`, value);
  return value as T;
}

export function shapeOf(name: string, value: unknown, rank?: number[]): number[] {
  if (!Array.isArray(value) || !value.every((d) => isInteger(d) && d > 0) || (rank && !rank.includes(value.length)))
    throw invalidParameterError(name, `an array of ${rank ? rank.join(' or ') + ' ' : ''}positive integers`, value);
  return value;
}

/** Training autocast: '' (float32) or 'bf16'; 'fp16' is refused (no loss scaling: its gradients underflow). */
export function trainingAutocast(name: string, value: unknown): '' | 'bf16' {
  const mode = oneOf(name, value ?? '', ['', 'bf16', 'fp16'] as const);
  if (mode === 'fp16')
    throw new TtlError('E_BAD_ARGUMENT', `${name} 'fp16' cannot train: without loss scaling fp16 gradients underflow; use 'bf16' (CUDA, or a CPU with AVX-512 BF16)`);
  return mode;
}
