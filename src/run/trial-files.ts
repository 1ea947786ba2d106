// The small per-trial JSON files of a run directory besides predictions.json (trials/<id>/curves.json and
// lr-range.json), read back with their shape checked: a resumed run and `ttl-torch report` trust them.
import { numberArrayProblem, readRunJsonAs } from '../fs/json.js';
import type { LrRange } from '../train/lr-range.js';

/** One point per epoch: the validation value of the selection metric (older runs wrote valAuroc). */
export interface CurvePoint {
  epoch: number;
  val: number;
}

export function readCurves(path: string): CurvePoint[] {
  const raw = readRunJsonAs<{ epoch: number; val?: number; valAuroc?: number }[]>(path, (value) => {
    if (!Array.isArray(value)) return 'the file must be an array of { epoch, val }';
    const bad = value.findIndex((c) => typeof c !== 'object' || c === null || typeof c.epoch !== 'number' || typeof (c.val ?? c.valAuroc) !== 'number');
    return bad < 0 ? null : `entry ${bad} must be { epoch: number, val: number }`;
  });
  return raw.map((c) => ({ epoch: c.epoch, val: (c.val ?? c.valAuroc)! }));
}

export function readLrRange(path: string): LrRange {
  return readRunJsonAs<LrRange>(path, (value) => {
    const r = value as LrRange;
    if (typeof r !== 'object' || r === null) return 'the file must be an object with lrs, losses, smoothed and suggested';
    for (const field of ['lrs', 'losses', 'smoothed'] as const) {
      const wrong = numberArrayProblem(field, r[field]);
      if (wrong) return wrong;
    }
    if (r.smoothed.length !== r.lrs.length) return `smoothed must have one value per rate (${r.lrs.length})`;
    return typeof r.suggested === 'number' && r.suggested > 0 && Number.isFinite(r.suggested) ? null : 'suggested must be a positive number';
  });
}
