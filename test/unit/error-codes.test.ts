// One list of error codes (src/error-codes.ts): every code that the TypeScript, C++ and binding sources raise is
// in it, and every code in it is raised somewhere (no dead entries). CMake reads the same list for ttl::Error.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/error-codes.js';
import { root } from '../support/paths.js';

function sources(dir: string, ext: RegExp): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p, ext) : ext.test(f) ? [p] : [];
  });
}

const codesIn = (files: string[]) => new Set(files.flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/['"](E_[A-Z0-9_]+)['"]/g)].map((m) => m[1])));
const listed = new Set(Object.keys(ERROR_CODES));
const native = codesIn([...sources(join(root, 'cpp'), /\.(cpp|h)$/), ...sources(join(root, 'binding'), /\.(cc|h)$/)]);
const typescript = codesIn(sources(join(root, 'src'), /\.ts$/).filter((f) => !f.endsWith('error-codes.ts')));

describe('error codes', () => {
  it('every code the C++ core and the binding throw is listed', () => {
    expect([...native].filter((c) => !listed.has(c))).toEqual([]);
    expect(native.size).toBeGreaterThan(15);
  });

  it('every code the TypeScript sources raise is listed (the type checks it too), and every listed code is raised', () => {
    expect([...typescript].filter((c) => !listed.has(c))).toEqual([]);
    expect([...listed].filter((c) => !native.has(c) && !typescript.has(c))).toEqual([]);
  });

  it('each entry has a meaning, and the list has the one-entry-per-line shape CMake reads', () => {
    for (const [code, meaning] of Object.entries(ERROR_CODES)) expect(meaning.length, code).toBeGreaterThan(10);
    const lines = readFileSync(join(root, 'src', 'error-codes.ts'), 'utf8').split('\n').filter((l) => /^ *E_[A-Z0-9_]+:/.test(l));
    expect(lines.map((l) => /E_[A-Z0-9_]+/.exec(l)![0])).toEqual(Object.keys(ERROR_CODES));
  });
});
