import type { ErrorCode } from './error-codes.js';

export type { ErrorCode };

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

/** Re-raises an error from the native layer as a TtlError with the caller's stack appended. */
export function fromNative(error: unknown, callSite: Error): TtlError {
  const native = error as { code?: string; message?: string };
  const code = (native?.code ?? 'E_NATIVE') as ErrorCode;
  const wrapped = new TtlError(code, native?.message ?? String(error), { cause: error });
  wrapped.stack = `${wrapped.name} [${code}]: ${wrapped.message}\n${callSite.stack?.split('\n').slice(1).join('\n') ?? ''}`;
  return wrapped;
}

/** Calls the native layer and rethrows its errors as TtlError with this call site's stack. */
export async function call<T>(work: () => Promise<T>): Promise<T> {
  const site = new Error();
  try {
    return await work();
  } catch (e) {
    throw e instanceof TtlError ? e : fromNative(e, site);
  }
}

/** call() for the native layer's synchronous functions (store construction, thread settings). */
export function callSync<T>(work: () => T): T {
  try {
    return work();
  } catch (e) {
    throw e instanceof TtlError ? e : fromNative(e, new Error());
  }
}
