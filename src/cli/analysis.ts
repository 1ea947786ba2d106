import { mkdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import sharp from 'sharp';
import { gradCam, writeMontage, writeOverlay } from '../analysis/gradcam.js';
import { conformVolume, readVolume, windowed, type Intensity } from '../data/volume.js';
import { TtlError } from '../errors.js';
import { runGradcamFigure } from '../run/analyses/gradcam.js';
import { runSvcca } from '../run/analyses/svcca.js';
import { readSafetensors } from '../weights/safetensors.js';
import { createModel } from '../model.js';
import { getModelCard, normalisation } from '../registry.js';
import { report } from '../run/api.js';
import { integerIn } from '../validate.js';
import { integerArg, renderTable } from './table.js';

export async function svccaCommand(dir: string, options: { trial?: string; units?: string; samples: string; spatial: string; json?: boolean }): Promise<void> {
  const units = options.units?.split(',').map((u) => integerIn('--units', integerArg(u.trim()), 1, 10000));
  const result = await runSvcca(resolve(dir), {
    trial: options.trial, units, samples: integerIn('--samples', integerArg(options.samples), 10, 1e7),
    spatialSamples: integerIn('--spatial', integerArg(options.spatial), 0, 1000),
  });
  report(dir);
  if (options.json) return void console.log(JSON.stringify(result, null, 2));
  console.log(`SVCCA of ${result.trial} (${result.datapoints} datapoints): mean coefficient with the finetuned network\n`);
  console.log(renderTable(['k', 'unit', 'pretrained', 'random init', 'area between'], result.units.map((u) => [u.k, u.unit, u.pretrained.toFixed(4), u.random.toFixed(4), u.area.toFixed(4)])));
  for (const c of result.cross) console.log(`finetuned ${c.a} vs ${c.b}: ${c.mean.toFixed(4)}`);
  console.log(`\nwritten to ${join(resolve(dir), 'analysis')} and report.html`);
}

/** One network input from an image file (2D) or a volume (NIfTI / DICOM series, 3D), with its 8-bit picture. */
async function camInput(path: string, size: number, volumetric: boolean, intensity: Intensity): Promise<{ gray: Uint8Array; spatial: number[] }> {
  if (!volumetric) return { gray: new Uint8Array(await sharp(path).resize(size, size, { fit: 'fill' }).toColourspace('b-w').raw().toBuffer()), spatial: [size, size] };
  const volume = conformVolume(readVolume(path), { shape: [size, size, size] }, 'linear');
  return { gray: Uint8Array.from(windowed(volume.values, intensity, path), (v) => v >> 8), spatial: [size, size, size] };
}

/**
 * Grad-CAM overlays for image files (PNG/JPEG), or slice montages for volumes (NIfTI, DICOM-series folders) with a
 * 3D network, from a checkpoint saved by ttl-torch (its metadata names the model).
 */
export async function gradcamCommand(inputs: string[], options: { checkpoint: string; unit?: string; size: string; out: string; class?: string; intensity?: string }): Promise<void> {
  const meta = readSafetensors(options.checkpoint).metadata;
  const card = getModelCard(meta.model ?? '');
  if (meta.head === 'unet') throw new TtlError('E_BAD_ARGUMENT', `${options.checkpoint} is a segmentation checkpoint; Grad-CAM explains classifiers`);
  const k = Number(meta.k ?? card.units.length);
  const volumetric = Boolean(card.input.frames);
  const intensity = (options.intensity && /^-?[\d.]+,-?[\d.]+$/.test(options.intensity) ? options.intensity.split(',').map(Number) : (options.intensity ?? 'minmax')) as Intensity;
  const model = await createModel({ model: card.name, cutoff: k, numClasses: Number(meta.numClasses ?? 2), weights: options.checkpoint, device: 'auto' });
  const size = integerIn('--size', integerArg(options.size), 16, 4096);
  const { mean, std } = normalisation(card);
  mkdirSync(options.out, { recursive: true });
  try {
    for (const path of inputs) {
      const { gray, spatial } = await camInput(path, size, volumetric, intensity);
      const n = gray.length;
      const input = new Float32Array(3 * n);
      for (let c = 0; c < 3; c++) for (let i = 0; i < n; i++) input[c * n + i] = (gray[i] / 255 - mean[c]) / std[c];
      const cam = await gradCam(model, input, [1, 3, ...spatial], {
        unit: options.unit === undefined ? undefined : integerArg(options.unit), targetClass: options.class === undefined ? undefined : Number(options.class),
      });
      const target = join(options.out, `${basename(path).replace(/(\.nii)?\.[^.]+$/, '')}-gradcam.png`);
      if (volumetric) await writeMontage(target, gray, cam.data, [size, size, size], 8);
      else await writeOverlay(target, gray, cam.data, size, size);
      console.log(target);
    }
  } finally {
    model.dispose();
  }
}

/** The run's FTL vs TTL Grad-CAM figure, added to report.html. */
export async function gradcamCompareCommand(dir: string, options: { count: string }): Promise<void> {
  const path = await runGradcamFigure(resolve(dir), { count: integerIn('--count', integerArg(options.count), 1, 64) });
  report(dir);
  console.log(path);
}
