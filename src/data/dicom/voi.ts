// Modality values to display intensities in [0, 1] (PS3.3 C.11.2): the window policy a user chooses. 'auto' (the
// default) takes the file's own VOI (VOI LUT Sequence, else the first window with its VOI LUT Function) unless it
// clamps most of the image, and then the image's range: a CT stored with a brain window (40/100) clamped 70.6% of
// its pixels to 0 and 7.5% to 1 under the stored window alone.
import { TtlError } from '../../errors.js';
import { lookUp, readLut } from './lut.js';
import { firstNumber } from './modality.js';
import type { ParsedDicom } from './parse.js';

/** Common CT windows as [low, high] HU (centre -+ width / 2). */
export const CT_WINDOWS = {
  abdomen: [-160, 240],
  lung: [-1350, 150],
  bone: [-450, 1050],
  brain: [0, 80],
  mediastinum: [-125, 225],
} as const;

/**
 * How grayscale DICOM becomes [0, 1]: 'auto', 'stored' (the file's VOI, the range when it has none), 'minmax' (the
 * image's own range), [low, high] in modality units, or a named CT window.
 */
export type WindowPolicy = 'auto' | 'stored' | 'minmax' | [number, number] | keyof typeof CT_WINDOWS;

/** 'auto' keeps the stored VOI only while at least this share of the pixels falls strictly inside it. */
export const AUTO_MIN_UNCLAMPED = 0.5;

export function checkWindowPolicy(policy: unknown, name = 'window'): WindowPolicy {
  if (policy === 'auto' || policy === 'stored' || policy === 'minmax') return policy;
  if (typeof policy === 'string' && policy in CT_WINDOWS) return policy as keyof typeof CT_WINDOWS;
  if (Array.isArray(policy) && policy.length === 2 && policy.every(Number.isFinite) && policy[1] > policy[0]) return [policy[0], policy[1]];
  throw new TtlError('E_BAD_ARGUMENT', `Expected 'auto', 'stored', 'minmax', [low, high] with low < high, or one of ${Object.keys(CT_WINDOWS).map((w) => `'${w}'`).join(', ')} for ${name} but received ${JSON.stringify(policy)}`);
}

/** What a frame's intensities came from, for the caller to record. */
export interface AppliedWindow {
  source: 'voi-lut' | 'window' | 'minmax' | 'given';
  /** The window's [low, high] in modality units (the LUT's input range for 'voi-lut'). */
  range: [number, number];
  /** The VOI LUT Function of a stored window. */
  fn?: string;
}

type Voi = { window: AppliedWindow; apply: (v: number) => number };

const linear = (lo: number, hi: number) => (v: number) => (v <= lo ? 0 : v >= hi ? 1 : (v - lo) / (hi - lo));

/** The file's own VOI transform, when it stores one. */
function storedVoi(dicom: ParsedDicom): Voi | undefined {
  const item = dicom.data.elements.x00283010?.items?.[0]?.dataSet;
  if (item) {
    const lut = readLut(item, 'x00283002', 'x00283006', dicom.path, 'VOILUTSequence');
    const max = 2 ** lut.bits - 1;
    return { window: { source: 'voi-lut', range: [lut.first, lut.first + lut.entries.length - 1] }, apply: (v) => lookUp(lut, Math.round(v)) / max };
  }
  const c = firstNumber(dicom.data.string('x00281050'));
  const w = firstNumber(dicom.data.string('x00281051'));
  if (c === undefined || w === undefined) return undefined;
  const fn = (dicom.data.string('x00281056') ?? 'LINEAR').trim().toUpperCase();
  if (fn === 'SIGMOID' && w > 0) return { window: { source: 'window', range: [c - w / 2, c + w / 2], fn }, apply: (v) => 1 / (1 + Math.exp((-4 * (v - c)) / w)) };
  if (fn === 'LINEAR_EXACT' && w > 0) return { window: { source: 'window', range: [c - w / 2, c + w / 2], fn }, apply: linear(c - w / 2, c + w / 2) };
  if (fn === 'LINEAR' && w >= 1) {
    // PS3.3 C.11.2.1.2.1: centre and width are shifted by half a step so that integer inputs land on the ends.
    const lo = c - 0.5 - (w - 1) / 2, hi = c - 0.5 + (w - 1) / 2;
    return { window: { source: 'window', range: [lo, hi], fn }, apply: w === 1 ? (v) => (v <= lo ? 0 : 1) : (v) => (v <= lo ? 0 : v > hi ? 1 : (v - (c - 0.5)) / (w - 1) + 0.5) };
  }
  return undefined; // an unusable stored window (width 0, an unknown function) is as good as none
}

function rangeOf(values: Float32Array, padding: Uint8Array | undefined): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    if (padding?.[i]) continue;
    const v = values[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : [0, 1];
}

/**
 * Modality values of one frame to [0, 1] under `policy`; `padding` marks Pixel Padding Value pixels, which take
 * 0 and are left out of ranges. MONOCHROME1 (bright = low values) is inverted after the window.
 */
export function applyWindow(dicom: ParsedDicom, values: Float32Array, padding: Uint8Array | undefined, policy: WindowPolicy, monochrome1: boolean): { pixels: Float32Array; window: AppliedWindow } {
  let voi: Voi | undefined;
  if (policy === 'auto' || policy === 'stored') {
    voi = storedVoi(dicom);
    if (voi && policy === 'auto') {
      // The share inside the window, on an even sample of at most 65,536 pixels (the same ones every time).
      const stride = Math.max(1, Math.floor(values.length / 65536));
      let inside = 0, counted = 0;
      for (let i = 0; i < values.length; i += stride) {
        if (padding?.[i]) continue;
        counted++;
        const y = voi.apply(values[i]);
        if (y > 0 && y < 1) inside++;
      }
      if (inside < AUTO_MIN_UNCLAMPED * counted) voi = undefined;
    }
  } else if (policy !== 'minmax') {
    const [lo, hi] = typeof policy === 'string' ? CT_WINDOWS[policy] : policy;
    voi = { window: { source: 'given', range: [lo, hi] }, apply: linear(lo, hi) };
  }
  if (!voi) {
    const [lo, hi] = rangeOf(values, padding);
    voi = { window: { source: 'minmax', range: [lo, hi] }, apply: hi > lo ? linear(lo, hi) : () => 0 };
  }
  const pixels = new Float32Array(values.length);
  const { apply } = voi;
  if (!padding && !monochrome1) for (let i = 0; i < values.length; i++) pixels[i] = apply(values[i]);
  else {
    for (let i = 0; i < values.length; i++) {
      if (padding?.[i]) continue;
      const y = apply(values[i]);
      pixels[i] = monochrome1 ? 1 - y : y;
    }
  }
  return { pixels, window: voi.window };
}
