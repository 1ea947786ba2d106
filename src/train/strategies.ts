// The five transfer strategies, all expressed on the unit list (README, Architecture: units).
import { TtlError } from '../errors.js';
import { warnDeprecated } from '../deprecated.js';
import { resolveCutoff, type Cutoff } from '../cutoff/resolve.js';
import type { ModelCard } from '../registry.js';

/**
 * A strategy and, for the three that cut, its `cutoff` (k, a unit name or 'blockN'; the same value createModel()
 * and a run's trials call `cutoff`): TTL keeps units 1..k and drops the rest, TF keeps them and rebuilds the
 * units after k at half width, LWFT freezes units 1..k and finetunes the units after it.
 */
export type Strategy =
  | { kind: 'ftl' }
  | { kind: 'ffe' }
  | { kind: 'lwft' | 'tf' | 'ttl'; cutoff: Cutoff }
  | DeprecatedStrategy;

/**
 * @deprecated since 0.2.0, removed in 0.3.0: `k` is `cutoff` now. For LWFT the meaning changes too: its `k`
 * counted the units finetuned at the top, where `cutoff` counts the units frozen below them (cutoff = n - k).
 */
export type DeprecatedStrategy = { kind: 'lwft'; k: number } | { kind: 'tf' | 'ttl'; k: Cutoff };

export interface StrategyPlan {
  /** Units to build (TTL drops the rest). */
  keepUnits: number;
  /** TF: units after this one are rebuilt at half width from random init. */
  slimAfter?: number;
  /** Learning-rate scale per kept unit; 0 freezes the unit. The head always trains at scale 1. */
  unitLrScale: number[];
  /** The cutoff as a unit count (units kept for TTL and TF, frozen for LWFT); n for FTL and FFE. */
  k: number;
  /** 'TTL(k=5)', 'FTL', ...: the strategy as the reports name it. */
  name: string;
}

/** The strategy with its cutoff under the current name: the deprecated `k` converted (warned once). */
function current(card: ModelCard, s: Strategy): Exclude<Strategy, DeprecatedStrategy> {
  if (!('k' in s)) return s;
  if ('cutoff' in s) throw new TtlError('E_BAD_ARGUMENT', `strategy: give cutoff or its deprecated alias k, not both`);
  warnDeprecated(`strategy.k`, s.kind === 'lwft' ? 'cutoff (for LWFT the units frozen below the finetuned ones: n - k)' : 'cutoff');
  if (s.kind !== 'lwft') return { kind: s.kind, cutoff: s.k };
  const n = card.units.length;
  if (!Number.isInteger(s.k) || s.k < 1 || s.k > n)
    throw new TtlError('E_BAD_CUTOFF', `LWFT finetunes the top k units: k must be 1..${n} for ${card.name}, got ${s.k}`);
  return { kind: 'lwft', cutoff: n - s.k };
}

/** 'TTL(k=5)', 'FTL', ...: a strategy as the reports name it, k the cutoff as a unit count. */
export function strategyName(card: ModelCard, s: Strategy): string {
  return planStrategy(card, s).name;
}

/**
 * Turns a strategy into what the engine needs. `pretrainedLrScale` scales the learning rate of
 * pretrained units relative to the head's (e.g. 10 for the paper's 3D setting of 0.1 vs 0.01).
 */
export function planStrategy(card: ModelCard, given: Strategy, pretrainedLrScale = 1): StrategyPlan {
  const strategy = current(card, given);
  const plan = unitPlan(card, strategy, pretrainedLrScale);
  const kind = strategy.kind.toUpperCase();
  return { ...plan, name: strategy.kind === 'ftl' || strategy.kind === 'ffe' ? kind : `${kind}(k=${plan.k})` };
}

/** The units a strategy builds, slims and trains, each kept unit's learning-rate scale, and its cutoff. */
function unitPlan(card: ModelCard, strategy: Exclude<Strategy, DeprecatedStrategy>, pretrainedLrScale: number): Omit<StrategyPlan, 'name'> {
  const n = card.units.length;
  const all = (scale: number) => new Array(n).fill(scale);
  switch (strategy.kind) {
    case 'ftl':
      return { keepUnits: n, unitLrScale: all(pretrainedLrScale), k: n };
    case 'ffe':
      return { keepUnits: n, unitLrScale: all(0), k: n };
    case 'lwft': {
      // Cutoff 0 freezes nothing: every unit finetunes at eta/10.
      const k = strategy.cutoff === 0 ? 0 : resolveCutoff(card, strategy.cutoff);
      if (k === n) throw new TtlError('E_BAD_CUTOFF', `LWFT at cutoff ${n} would freeze every unit of ${card.name} (that is FFE): use 0..${n - 1}`);
      // The units after the cutoff train at eta/10, the head at eta (the original LWFT recipe).
      return { keepUnits: n, unitLrScale: all(0).map((_, i) => (i >= k ? pretrainedLrScale / 10 : 0)), k };
    }
    case 'tf': {
      const k = resolveCutoff(card, strategy.cutoff);
      return { keepUnits: n, slimAfter: k, unitLrScale: all(pretrainedLrScale).map((s, i) => (i < k ? s : 1)), k };
    }
    case 'ttl': {
      const k = resolveCutoff(card, strategy.cutoff);
      return { keepUnits: k, unitLrScale: new Array(k).fill(pretrainedLrScale), k };
    }
    default:
      throw new TtlError('E_BAD_ARGUMENT', `unknown strategy ${JSON.stringify(strategy)}; use ftl, ffe, lwft, tf or ttl`);
  }
}
