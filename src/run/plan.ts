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

const SEARCHED: StrategyKind[] = ['lwft', 'tf', 'ttl'];

/** Cutoffs a strategy can take: TTL 1..n; TF and LWFT 1..n-1 (at n they equal FTL / FFE). */
export function validCutoffs(card: ModelCard, kind: StrategyKind): number[] {
  const n = card.units.length;
  return Array.from({ length: kind === 'ttl' ? n : n - 1 }, (_, i) => i + 1);
}

export function toStrategy(card: ModelCard, kind: StrategyKind, cutoff: number): Strategy {
  if (kind === 'lwft') return { kind, k: card.units.length - cutoff };
  if (kind === 'tf' || kind === 'ttl') return { kind, k: cutoff };
  return { kind };
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
  const valid = validCutoffs(card, kind);
  if (config.search === 'probe') return probeRanking.filter((k) => valid.includes(k)).slice(0, config.probeTop).sort((a, b) => a - b);
  if (Array.isArray(config.search)) return config.search.filter((k) => valid.includes(k));
  if (config.search === 'all') return valid;
  return card.blocks.filter((k) => valid.includes(k));
}

/** Trials that need no results: FTL/FFE and stage 1 of every searched strategy. */
export function planStageOne(card: ModelCard, config: RunConfig, probeRanking: number[] = []): TrialSpec[] {
  const out: TrialSpec[] = [];
  for (const kind of config.strategies) {
    if (!SEARCHED.includes(kind)) {
      for (const seed of seeds(config)) out.push(trial(kind, card.units.length, seed, 0));
      continue;
    }
    for (const cutoff of stageOneCutoffs(card, config, kind, probeRanking)) for (const seed of seeds(config)) out.push(trial(kind, cutoff, seed, 1));
  }
  return out;
}

/** Stage 2: the units within `radius` of stage 1's best cutoff (by mean validation AUROC), both sides. */
export function planStageTwo(card: ModelCard, config: RunConfig, bestStageOne: Map<StrategyKind, number>): TrialSpec[] {
  if (config.search !== 'two-stage') return [];
  const out: TrialSpec[] = [];
  for (const [kind, best] of bestStageOne) {
    const valid = validCutoffs(card, kind);
    const done = stageOneCutoffs(card, config, kind);
    for (let d = -config.radius; d <= config.radius; d++) {
      const cutoff = best + d;
      if (d === 0 || !valid.includes(cutoff) || done.includes(cutoff)) continue;
      for (const seed of seeds(config)) out.push(trial(kind, cutoff, seed, 2));
    }
  }
  return out;
}
