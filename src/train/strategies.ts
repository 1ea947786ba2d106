// The five transfer strategies, all expressed on the unit list (README, Architecture: units).
import { TtlError } from '../errors.js';
import { resolveCutoff, type Cutoff } from '../cutoff/resolve.js';
import type { ModelCard } from '../registry.js';

export type Strategy =
  | { kind: 'ftl' }
  | { kind: 'ffe' }
  | { kind: 'lwft'; k: number }
  | { kind: 'tf'; k: Cutoff }
  | { kind: 'ttl'; k: Cutoff };

export interface StrategyPlan {
  /** Units to build (TTL drops the rest). */
  keepUnits: number;
  /** TF: units after this one are rebuilt at half width from random init. */
  slimAfter?: number;
  /** Learning-rate scale per kept unit; 0 freezes the unit. The head always trains at scale 1. */
  unitLrScale: number[];
  /** The cutoff reported for this trial (units kept / units finetuned for LWFT). */
  k: number;
}

/** 'TTL(k=5)', 'FTL', ...: a strategy as the reports name it. */
export function strategyName(s: Strategy): string {
  return 'k' in s ? `${s.kind.toUpperCase()}(k=${s.k})` : s.kind.toUpperCase();
}

/**
 * Turns a strategy into what the engine needs. `pretrainedLrScale` scales the learning rate of
 * pretrained units relative to the head's (e.g. 10 for the paper's 3D setting of 0.1 vs 0.01).
 */
export function planStrategy(card: ModelCard, strategy: Strategy, pretrainedLrScale = 1): StrategyPlan {
  const n = card.units.length;
  const all = (scale: number) => new Array(n).fill(scale);
  switch (strategy.kind) {
    case 'ftl':
      return { keepUnits: n, unitLrScale: all(pretrainedLrScale), k: n };
    case 'ffe':
      return { keepUnits: n, unitLrScale: all(0), k: n };
    case 'lwft': {
      if (!Number.isInteger(strategy.k) || strategy.k < 1 || strategy.k > n)
        throw new TtlError('E_BAD_CUTOFF', `LWFT finetunes the top k units: k must be 1..${n} for ${card.name}, got ${strategy.k}`);
      // Top k units train at eta/10, the head at eta (the original LWFT recipe).
      return { keepUnits: n, unitLrScale: all(0).map((_, i) => (i >= n - strategy.k ? pretrainedLrScale / 10 : 0)), k: strategy.k };
    }
    case 'tf': {
      const k = resolveCutoff(card, strategy.k);
      return { keepUnits: n, slimAfter: k, unitLrScale: all(pretrainedLrScale).map((s, i) => (i < k ? s : 1)), k };
    }
    case 'ttl': {
      const k = resolveCutoff(card, strategy.k);
      return { keepUnits: k, unitLrScale: new Array(k).fill(pretrainedLrScale), k };
    }
    default:
      throw new TtlError('E_BAD_ARGUMENT', `unknown strategy ${JSON.stringify(strategy)}; use ftl, ffe, lwft, tf or ttl`);
  }
}
