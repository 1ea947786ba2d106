// Where the checkout and ../shared are. Unit tests import only this (they need neither the addon nor ../shared);
// helpers.ts, for the other tiers, also insists that ../shared is there.
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** ../shared beside the checkout: data, weights and reference fixtures (read-only). */
export const shared = resolve(root, '..', 'shared');
/**
 * A weights and decoded-image cache folder for tests that must take weights from ../shared only: empty at the
 * start of the run, inside the run's temporary folder (test/support/temp-root.ts), so removed with it.
 */
export const testCacheDir = join(tmpdir(), 'ttl-torch-cache');
