import { TtlError } from '../errors.js';
import type { ModelCard } from '../registry.js';

/** A cutoff as users write it: k (1-based; negative counts from the end), a unit name, or 'blockN'. */
export type Cutoff = number | string;

/**
 * Resolves a cutoff to k, the number of units kept (1..units). Unknown names list the valid ones,
 * as torchvision's feature extractor does.
 */
export function resolveCutoff(card: ModelCard, cutoff: Cutoff): number {
  const n = card.units.length;
  if (typeof cutoff === 'number') {
    const k = cutoff < 0 ? n + 1 + cutoff : cutoff;
    if (!Number.isInteger(cutoff) || k < 1 || k > n)
      throw new TtlError('E_BAD_CUTOFF', `cutoff ${cutoff} is out of range for ${card.name}: use 1..${n} (or -1..-${n})`);
    return k;
  }
  const block = /^block(\d+)$/.exec(cutoff);
  if (block) {
    const b = Number(block[1]);
    if (b < 1 || b > card.blocks.length)
      throw new TtlError('E_BAD_CUTOFF', `${card.name} has blocks 1..${card.blocks.length}, not ${cutoff}`);
    return card.blocks[b - 1];
  }
  if (/^-?\d+$/.test(cutoff)) return resolveCutoff(card, Number(cutoff));
  const index = card.units.indexOf(cutoff);
  if (index < 0)
    throw new TtlError(
      'E_BAD_CUTOFF',
      `unknown unit '${cutoff}' for ${card.name}; valid: ${card.units.join(', ')} (or k, or block1..block${card.blocks.length})`,
    );
  return index + 1;
}

/** Block number (1-based) of unit k. */
export function blockOf(card: ModelCard, k: number): number {
  return card.blocks.findIndex((end) => k <= end) + 1;
}
