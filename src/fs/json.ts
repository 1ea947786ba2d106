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
