// ttl-torch/errors: the error every function raises, and the list of its codes with their meanings.
import type { ErrorCode } from './error-codes.js';

export type { ErrorCode };
export { ERROR_CODES } from './error-codes.js';

/** Every error ttl-torch raises: a stable `code` (E_BAD_ARGUMENT, E_WEIGHTS_MISMATCH, ...) and a message. */
export class TtlError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TtlError';
    this.code = code;
  }
}

function describe(actual: unknown): string {
  if (actual === null) return 'null';
  if (Array.isArray(actual)) return `array of length ${actual.length}`;
  if (ArrayBuffer.isView(actual)) return actual.constructor.name;
  if (typeof actual === 'string') return `'${actual}' of type string`;
  if (typeof actual === 'object') return 'an object';
  return `${String(actual)} of type ${typeof actual}`;
}

/** The one builder for option errors: "Expected X for NAME but received Y". */
export function invalidParameterError(name: string, expected: string, actual: unknown): TtlError {
  return new TtlError('E_BAD_ARGUMENT', `Expected ${expected} for ${name} but received ${describe(actual)}`);
}
