// The trial plan of a run: strategies x cutoffs x seeds, in stages (stage 2 depends on stage 1's results).
import type { ModelCard } from '../registry.js';
import type { Strategy } from '../train/strategies.js';
import type { RunConfig, StrategyKind } from './config.js';

export interface TrialSpec {
  id: string;
  strategy: StrategyKind;
  /** Units kept pretrained (TTL/TF), or frozen below (LWFT); the full depth for FTL/FFE. */
  cutoff: number;
  seed: number;
  /** 0 = no search (FTL/FFE), 1 = block boundaries (or the given list), 2 = neighbours of stage 1's best. */
  stage: 0 | 1 | 2;
}

/** The strategies that search over cutoffs (FTL and FFE train the full network). */
export const SEARCHED_STRATEGIES: readonly StrategyKind[] = ['lwft', 'tf', 'ttl'];
// The full-network trials run first, so a search's truncations are measured against them from the start.
const STRATEGY_ORDER: StrategyKind[] = ['ftl', 'ffe'];

/**
 * Cutoffs a searched strategy can take: true truncations 1..n-1 (at k = n, TTL and TF are FTL and LWFT
 * is FFE: the full network is never a truncation).
 */
export function validCutoffs(card: ModelCard): number[] {
  return Array.from({ length: card.units.length - 1 }, (_, i) => i + 1);
}

export function toStrategy(card: ModelCard, kind: StrategyKind, cutoff: number): Strategy {
  return kind === 'ftl' || kind === 'ffe' ? { kind } : { kind, cutoff };
}

function seeds(config: RunConfig): number[] {
  return Array.from({ length: config.repeats }, (_, r) => config.seed + r);
}

const trial = (strategy: StrategyKind, cutoff: number, seed: number, stage: TrialSpec['stage']): TrialSpec => ({
  id: `${strategy}-k${cutoff}-s${seed}`, strategy, cutoff, seed, stage,
});

/**
 * Stage-1 cutoffs of a strategy. With search 'probe', `probeRanking` (cutoffs by linear-probe validation
 * AUROC, best first) picks the top `probeTop` valid ones.
 */
export function stageOneCutoffs(card: ModelCard, config: RunConfig, kind: StrategyKind, probeRanking: number[] = []): number[] {
  const valid = validCutoffs(card);
  if (config.search === 'probe') return probeRanking.filter((k) => valid.includes(k)).slice(0, config.probeTop).sort((a, b) => a - b);
  if (Array.isArray(config.search)) return config.search.filter((k) => valid.includes(k));
  if (config.search === 'all') return valid;
  return card.blocks.filter((k) => valid.includes(k));
}

/**
 * Trials that need no results: FTL/FFE and stage 1 of every searched strategy. A cutoff list naming k = n
 * for TTL asks for the full network: that is the FTL trial, planned once (never trained twice).
 */
export function planStageOne(card: ModelCard, config: RunConfig, probeRanking: number[] = []): TrialSpec[] {
  const n = card.units.length;
  const full = new Set(config.strategies.filter((kind) => !SEARCHED_STRATEGIES.includes(kind)));
  if (config.strategies.includes('ttl') && Array.isArray(config.search) && config.search.includes(n)) full.add('ftl');
  const out: TrialSpec[] = [];
  for (const kind of STRATEGY_ORDER) if (full.has(kind)) for (const seed of seeds(config)) out.push(trial(kind, n, seed, 0));
  for (const kind of config.strategies) {
    if (!SEARCHED_STRATEGIES.includes(kind)) continue;
    for (const cutoff of stageOneCutoffs(card, config, kind, probeRanking)) for (const seed of seeds(config)) out.push(trial(kind, cutoff, seed, 1));
  }
  return out;
}

/** Stage 2: the units within `radius` of stage 1's best cutoff (by mean validation AUROC), both sides. */
export function planStageTwo(card: ModelCard, config: RunConfig, bestStageOne: Map<StrategyKind, number>): TrialSpec[] {
  if (config.search !== 'two-stage') return [];
  const out: TrialSpec[] = [];
  for (const [kind, best] of bestStageOne) {
    const valid = validCutoffs(card);
    const done = stageOneCutoffs(card, config, kind);
    for (let d = -config.radius; d <= config.radius; d++) {
      const cutoff = best + d;
      if (d === 0 || !valid.includes(cutoff) || done.includes(cutoff)) continue;
      for (const seed of seeds(config)) out.push(trial(kind, cutoff, seed, 2));
    }
  }
  return out;
}

/** At most how many stage-2 trials a run can add (before stage 1 has chosen its best cutoffs). */
export function stageTwoBound(card: ModelCard, config: RunConfig): number {
  if (config.search !== 'two-stage') return 0;
  const searched = config.strategies.filter((kind) => SEARCHED_STRATEGIES.includes(kind)).length;
  return searched * Math.min(2 * config.radius, validCutoffs(card).length) * config.repeats;
}
