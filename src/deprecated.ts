// Options renamed in 0.2.0 keep their old names as deprecated aliases until 0.3.0 (CHANGELOG, "Renamed"): the old
// name still works, warns once per process, and is refused when given beside the new one.
import { TtlError } from './errors.js';

const warned = new Set<string>();

/** One DeprecationWarning per old name and process. */
export function warnDeprecated(oldName: string, instead: string): void {
  if (warned.has(oldName)) return;
  warned.add(oldName);
  process.emitWarning(`${oldName} is deprecated since ttl-torch 0.2.0 and will be removed in 0.3.0: use ${instead}`, { type: 'DeprecationWarning', code: 'TTL_TORCH_RENAMED' });
}

/**
 * `options[name]`, or the value of its old name (warned once); both at once is E_BAD_ARGUMENT, since they could
 * disagree. `where` prefixes the names in messages ('createModel options').
 */
export function renamed<T>(options: object, where: string, name: string, oldName: string): T | undefined {
  const o = options as Record<string, unknown>;
  if (o[oldName] === undefined) return o[name] as T | undefined;
  if (o[name] !== undefined) throw new TtlError('E_BAD_ARGUMENT', `${where}: give ${name} or its deprecated alias ${oldName}, not both`);
  warnDeprecated(`${where}.${oldName}`, name);
  return o[oldName] as T;
}
