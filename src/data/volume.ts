// Volumes in physical units (HU for CT) from volume files (NIfTI, NRRD, MetaImage) or DICOM series, resampled to a shape or a
// voxel spacing, and mapped to the 16-bit intensities the native store holds (windowing).
import { statSync } from 'node:fs';
import { TtlError } from '../errors.js';
import { CT_WINDOWS, readDicomFramesVolume, readDicomSeries } from './dicom/index.js';
import { isDicom } from './decode.js';
import { readVolumeFile, VOLUME_FILE, type Volume } from './volumes/index.js';

export { CT_WINDOWS };

/**
 * A volume file (NIfTI, NRRD, MetaImage) or a DICOM series folder rather than a 2D image. Only a folder is a series:
 * a file without an extension is a PACS export's single image (DICOM is recognised by content, data/decode.ts).
 */
export const isVolumePath = (path: string) => VOLUME_FILE.test(path) || isFolder(path);

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** [x, y, z] voxels, x fastest (NIfTI order): as a row-major array it is [D = z, H = y, W = x]. */
export type { Volume };

/** How values map to intensities: a [low, high] window (e.g. HU), a CT window by name, or each volume's min..max. */
export type Intensity = [number, number] | 'minmax' | keyof typeof CT_WINDOWS;

/**
 * A volume file (.nii / .nii.gz with scl_slope/inter applied, .nrrd / .nhdr, .mha / .mhd), a folder of DICOM slices,
 * or a multi-frame DICOM file (its frames as slices).
 */
export function readVolume(path: string): Volume {
  let directory: boolean;
  try {
    directory = statSync(path).isDirectory();
  } catch {
    throw new TtlError('E_NO_FILE', `volume not found: ${path}`);
  }
  if (directory) return readDicomSeries(path);
  // A file that is no volume format by name may be a multi-frame DICOM (recognised by content).
  return !VOLUME_FILE.test(path) && isDicom(path) ? readDicomFramesVolume(path) : readVolumeFile(path);
}

/** The shape that `volume` has when resampled to `spacing` (mm per voxel along x, y, z). */
export function shapeForSpacing(volume: Volume, spacing: [number, number, number]): [number, number, number] {
  return volume.shape.map((n, i) => Math.max(1, Math.round((n * volume.spacing[i]) / spacing[i]))) as [number, number, number];
}

/** Resamples to `shape` ([x, y, z]): trilinear for intensities, nearest for label maps (pixel centres aligned). */
export function resampleVolume(volume: Volume, shape: [number, number, number], mode: 'linear' | 'nearest'): Volume {
  const [X, Y, Z] = volume.shape;
  const [nx, ny, nz] = shape;
  if (nx === X && ny === Y && nz === Z) return volume;
  const src = volume.values;
  const out = new Float32Array(nx * ny * nz);
  // Source coordinate and weights along one axis, as align_corners=false.
  const axis = (n: number, size: number) =>
    Array.from({ length: n }, (_, i) => {
      const f = Math.min(Math.max(((i + 0.5) * size) / n - 0.5, 0), size - 1);
      const lo = Math.floor(f);
      return mode === 'nearest' ? { lo: Math.min(Math.round(f), size - 1), hi: 0, w: 0 } : { lo, hi: Math.min(lo + 1, size - 1), w: f - lo };
    });
  const ax = axis(nx, X), ay = axis(ny, Y), az = axis(nz, Z);
  let o = 0;
  for (const { lo: z0, hi: z1, w: wz } of az)
    for (const { lo: y0, hi: y1, w: wy } of ay)
      for (const { lo: x0, hi: x1, w: wx } of ax) {
        const at = (x: number, y: number, z: number) => src[x + X * (y + Y * z)];
        if (mode === 'nearest') {
          out[o++] = at(x0, y0, z0);
          continue;
        }
        const plane = (z: number) =>
          (at(x0, y0, z) * (1 - wx) + at(x1, y0, z) * wx) * (1 - wy) + (at(x0, y1, z) * (1 - wx) + at(x1, y1, z) * wx) * wy;
        out[o++] = plane(z0) * (1 - wz) + plane(z1) * wz;
      }
  const spacing = volume.spacing.map((s, i) => (s * volume.shape[i]) / shape[i]) as [number, number, number];
  return { shape, spacing, values: out };
}

/** Centre crop / pad to `shape` ([x, y, z]) without resampling; padding takes `fill`. */
export function cropOrPad(volume: Volume, shape: [number, number, number], fill: number): Volume {
  const [X, Y, Z] = volume.shape;
  const [nx, ny, nz] = shape;
  const offset = [X - nx, Y - ny, Z - nz].map((d) => Math.floor(d / 2));
  const out = new Float32Array(nx * ny * nz).fill(fill);
  for (let z = 0; z < nz; z++) {
    const sz = z + offset[2];
    if (sz < 0 || sz >= Z) continue;
    for (let y = 0; y < ny; y++) {
      const sy = y + offset[1];
      if (sy < 0 || sy >= Y) continue;
      for (let x = 0; x < nx; x++) {
        const sx = x + offset[0];
        if (sx >= 0 && sx < X) out[x + nx * (y + ny * z)] = volume.values[sx + X * (sy + Y * sz)];
      }
    }
  }
  return { shape, spacing: volume.spacing, values: out };
}

export interface ConformOptions {
  /** Output [x, y, z] voxels. */
  shape: [number, number, number];
  /** Resample to this spacing (mm) first, then centre crop / pad to `shape` (physical size kept); else resample straight to `shape`. */
  spacing?: [number, number, number];
}

/** A volume brought to a fixed shape for a network: by voxel spacing + crop/pad, or by resampling. */
export function conformVolume(volume: Volume, options: ConformOptions, mode: 'linear' | 'nearest'): Volume {
  if (!options.spacing) return resampleVolume(volume, options.shape, mode);
  let min = Infinity;
  for (const v of volume.values) if (v < min) min = v;
  const fill = mode === 'nearest' ? 0 : min; // outside the scan: air (its minimum) or background label
  return cropOrPad(resampleVolume(volume, shapeForSpacing(volume, options.spacing), mode), options.shape, fill);
}

/** How volume files were turned into stored voxels: recorded in checkpoints so a predictor decodes alike. */
export interface VolumeDecoding {
  intensity: Intensity;
  /** Resampled to this spacing (mm) and centre cropped / padded, rather than resampled to the shape. */
  spacing?: [number, number, number];
}

/** A NIfTI file or DICOM series as the stored 16-bit voxels of `shape` ([x, y, z]): conformed, then windowed. */
export function decodeVolume(path: string, shape: [number, number, number], decoding: VolumeDecoding, where: string): Uint16Array {
  return windowed(conformVolume(readVolume(path), { shape, spacing: decoding.spacing }, 'linear').values, decoding.intensity, where);
}

/** Clips values to the intensity window and scales them to the full 16-bit range. */
export function windowed(values: Float32Array, intensity: Intensity, where: string): Uint16Array {
  let lo: number, hi: number;
  if (intensity === 'minmax') {
    lo = Infinity;
    hi = -Infinity;
    for (const v of values) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  } else if (Array.isArray(intensity) && intensity.length === 2 && intensity.every(Number.isFinite) && intensity[1] > intensity[0]) {
    [lo, hi] = intensity;
  } else if (typeof intensity === 'string' && intensity in CT_WINDOWS) {
    [lo, hi] = CT_WINDOWS[intensity];
  } else {
    throw new TtlError('E_BAD_ARGUMENT', `${where}: intensity must be [low, high] with low < high, 'minmax' or one of ${Object.keys(CT_WINDOWS).join(', ')}; got ${JSON.stringify(intensity)}`);
  }
  if (!(hi > lo)) hi = lo + 1; // a constant volume (minmax) maps to 0
  const scale = 65535 / (hi - lo);
  return Uint16Array.from(values, (v) => Math.round(Math.min(Math.max((v - lo) * scale, 0), 65535)));
}
