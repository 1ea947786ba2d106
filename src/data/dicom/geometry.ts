// Where slices lie (PS3.3 C.7.6.2): ordering a stack of planes along their normal and the distance between them,
// for series of single-frame files and for the frames of one multi-frame file alike.
import { TtlError } from '../../errors.js';

/** A multi-valued decimal string (DS) as numbers; undefined when absent. */
export const decimals = (value: string | undefined) => value?.split('\\').map(Number).filter(Number.isFinite);

const cross = (a: number[], b: number[]) => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
const dot = (a: number[], b: number[]) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];

/**
 * The order of planes at `positions` (ImagePositionPatient) along the normal of `orientation`
 * (ImageOrientationPatient, axial if absent), and the mean distance between neighbours. Two planes at one position
 * (a second stack, or time points) are refused: they are not one volume.
 */
export function stackOrder(positions: number[][], orientation: number[] | undefined, where: string): { order: number[]; spacing: number } {
  const axes = orientation?.length === 6 ? orientation : [1, 0, 0, 0, 1, 0];
  const normal = cross(axes.slice(0, 3), axes.slice(3));
  const along = positions.map((p) => dot(p, normal));
  const order = along.map((_, i) => i).sort((a, b) => along[a] - along[b]);
  const steps = order.slice(1).map((k, i) => along[k] - along[order[i]]);
  if (steps.some((d) => Math.abs(d) < 1e-6))
    throw new TtlError('E_BAD_INPUT', `${where}: two slices share a position (a second stack or several time points): not one volume`);
  return { order, spacing: steps.reduce((a, b) => a + b, 0) / steps.length };
}
