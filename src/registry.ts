// Model cards (models/*.json): the declarative source of architectures, units and known weights.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { TtlError } from './errors.js';
import { packageRoot } from './package-root.js';

/** A network's head: its architecture's own classifier, the TTL head (pool + linear), a U-Net decoder, or none. */
export const HEAD_KINDS = ['original', 'linear', 'unet', 'none'] as const;
export type HeadKind = (typeof HEAD_KINDS)[number];

export interface WeightFile {
  file: string;
  url?: string;
  sha256?: string;
  sha256Prefix?: string;
  format: 'pth' | 'safetensors';
  layout?: string;
  partial?: boolean;
  note?: string;
  source?: string;
}

export interface WeightsCard {
  dataset: string;
  classes: number;
  preprocess: { mean: number[]; std: number[] };
  license: string;
  files: WeightFile[];
}

export interface ModelCard {
  name: string;
  /**
   * One of the architecture families the native builder has: the list is kept once, in cpp/core/arch.cpp, and read
   * through runtimeInfo().families; createModel() refuses any other with E_UNKNOWN_MODEL naming them.
   */
  family: string;
  description: string;
  arch: { block?: string; variant?: string; normEps?: number; layers?: number[]; growthRate?: number; numInitFeatures?: number; bnSize?: number; cardinality?: number; widthPerGroup?: number };
  units: string[];
  blocks: number[];
  /**
   * Default input: channels, square size, and frames (depth) for 3D networks; minSize: the smallest side
   * the full network takes (its un-padded convolutions and pools), where that is more than 1 px.
   */
  input: { channels: number; size: number; frames?: number; minSize?: number };
  weights: Record<string, WeightsCard>;
  /** Training defaults this architecture needs instead of the general ones (measured: `npm run bench -- defaults`). */
  train?: { lr?: number; why?: string };
}

/**
 * The input normalisation of a card's weights: the named weights' own mean/std, else its ImageNet weights',
 * else 0.5/0.5 (maps [0, 1] to [-1, 1]) for a card with no published preprocessing (trained from scratch).
 * Every input pipeline takes its mean/std from here; the native pipeline has no default.
 */
export function normalisation(card: ModelCard, weights?: string | null): { mean: number[]; std: number[] } {
  return (weights ? card.weights[weights]?.preprocess : undefined) ?? card.weights.imagenet?.preprocess ?? { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] };
}

/** Spatial dimensions of a card's input: 3 (D, H, W) for a 3D network, else 2 (H, W). */
export const spatialDims = (card: ModelCard): 2 | 3 => (card.input.frames ? 3 : 2);

/** The network input without the batch, [C, H, W] or [C, D, H, W], `size` in every spatial dimension. */
export function networkInputShape(card: ModelCard, size: number): number[] {
  return [card.input.channels, ...new Array<number>(spatialDims(card)).fill(size)];
}

export const modelsDir = join(packageRoot, 'models');
const cards = new Map<string, ModelCard>();

function checkCard(card: ModelCard, file: string): void {
  const fail = (what: string) => {
    throw new TtlError('E_UNKNOWN_MODEL', `model card ${file}: ${what}`);
  };
  if (typeof card.name !== 'string' || !card.name) fail('missing name');
  if (!Array.isArray(card.units) || card.units.length === 0) fail('units must be a non-empty array');
  const blocks = card.blocks;
  if (!Array.isArray(blocks) || blocks.at(-1) !== card.units.length || blocks.some((b, i) => i > 0 && b <= blocks[i - 1]))
    fail('blocks must be increasing unit counts ending at the number of units');
}

/** Adds a card; refuses a second card with the same name (like torchvision's register_model). */
export function registerModel(card: ModelCard, source = card.name): void {
  checkCard(card, source);
  if (cards.has(card.name)) throw new TtlError('E_BAD_ARGUMENT', `model '${card.name}' is already registered`);
  cards.set(card.name, card);
}

function loadBuiltinCards(): void {
  if (cards.size) return;
  for (const file of readdirSync(modelsDir).filter((f) => f.endsWith('.json')).sort()) {
    registerModel(JSON.parse(readFileSync(join(modelsDir, file), 'utf8')) as ModelCard, file);
  }
}

/** Names of registered models, optionally filtered by a glob with `*`. */
export function listModels(glob = '*'): string[] {
  loadBuiltinCards();
  const pattern = new RegExp('^' + glob.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$');
  return [...cards.keys()].filter((name) => pattern.test(name)).sort();
}

/** The card of a registered model; an unknown name is E_UNKNOWN_MODEL listing the available ones. */
export function getModelCard(name: string): ModelCard {
  loadBuiltinCards();
  const card = cards.get(name);
  if (!card)
    throw new TtlError('E_UNKNOWN_MODEL', `unknown model '${name}'; available: ${listModels().join(', ')}`);
  return card;
}
