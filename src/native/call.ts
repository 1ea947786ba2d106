// Calls into the addon: a native exception arrives as a TtlError with its code and the JS caller's stack.
import { TtlError, type ErrorCode } from '../errors.js';

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
