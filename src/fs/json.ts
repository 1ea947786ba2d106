// A JSON file of a run directory (curves, LR ranges): a corrupt one is an E_BAD_RUN error naming the file,
// not a bare SyntaxError.
import { readFileSync } from 'node:fs';
import { TtlError } from '../errors.js';

export function readRunJson<T>(path: string): T {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (e) {
    throw new TtlError('E_BAD_RUN', `${path}: ${(e as Error).message}`);
  }
}

/**
 * A run JSON file of a known shape: `problem` returns what is wrong with the value ("curves[3].epoch must be a
 * number") or null; a wrong one is an E_BAD_RUN error naming the file, never a TypeError later.
 */
export function readRunJsonAs<T>(path: string, problem: (value: unknown) => string | null): T {
  const value = readRunJson<unknown>(path);
  const wrong = problem(value);
  if (wrong) throw new TtlError('E_BAD_RUN', `${path}: ${wrong}`);
  return value as T;
}

/** null when `value` is an array of numbers, else what `field` must be. */
export const numberArrayProblem = (field: string, value: unknown) =>
  Array.isArray(value) && value.every((x) => typeof x === 'number') ? null : `${field} must be an array of numbers`;
