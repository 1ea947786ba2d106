// Where the checkout and ../shared are. Unit tests import only this (they need neither the addon nor ../shared);
// helpers.ts, for the other tiers, also insists that ../shared is there.
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** ../shared beside the checkout: data, weights and reference fixtures (read-only). */
export const shared = resolve(root, '..', 'shared');
