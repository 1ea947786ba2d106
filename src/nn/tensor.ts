import { invalidParameterError } from '../errors.js';

/** A dense float32 array with its shape (row-major), as it crosses the native boundary. */
export interface Tensor {
  data: Float32Array;
  shape: number[];
}

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function checkTensor(name: string, data: unknown, shape: unknown): Tensor {
  if (!(data instanceof Float32Array)) throw invalidParameterError(`${name}.data`, 'a Float32Array', data);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d > 0))
    throw invalidParameterError(`${name}.shape`, 'an array of positive integers', shape);
  if (numel(shape) !== data.length)
    throw invalidParameterError(`${name}.shape`, `dimensions whose product is ${data.length} (the data length)`, shape);
  return { data, shape };
}
