// A run's data and the network input it makes: shared by the trials, the latency timing and the analyses.
import { TtlError } from '../errors.js';
import { isDatasetName, resolveDataset } from '../data/catalog.js';
import { loadDataset } from '../data/load.js';
import type { DecodeProgress } from '../data/manifest.js';
import { isMultiLabel, type ImageDataset } from '../data/dataset.js';
import { loadSegmentationManifest, type SegmentationDataset } from '../data/segmentation.js';
import { networkInputShape, type ModelCard } from '../registry.js';
import type { SizedRunConfig } from './config.js';

export type RunData = ImageDataset | SegmentationDataset;

/** The one test of a run's task: the config says, the data was loaded for it, and the guard narrows it. */
export function segments(config: SizedRunConfig, data: RunData): data is SegmentationDataset {
  return config.task === 'segmentation';
}

/** The network's input without the batch: [C, H, W] or [C, D, H, W]. */
export function inputShape(card: ModelCard, config: SizedRunConfig, data: RunData): number[] {
  if (config.task === 'segmentation') return [card.input.channels, ...data.train.shape.slice(1, data.kind === 'rgb' ? -1 : undefined)];
  return networkInputShape(card, config.imageSize);
}

/** The run's data for analyses that need class labels (not segmentation runs). */
export async function loadClassificationData(config: SizedRunConfig, what: string): Promise<ImageDataset> {
  if (config.task === 'segmentation') throw new TtlError('E_BAD_ARGUMENT', `${what} needs a classification run; this run segments`);
  return (await loadRunData(config)) as ImageDataset;
}

/** `log`: the decode's progress and warnings, and where the data came from (decoded now, or the cache). */
export async function loadRunData(config: SizedRunConfig, log?: (line: string) => void): Promise<RunData> {
  const path = isDatasetName(config.data) ? await resolveDataset(config.data) : config.data;
  const volumes = { spacing: config.spacing ?? undefined, intensity: config.intensity, allowOutsidePaths: config.allowOutsidePaths };
  if (config.task === 'segmentation') {
    if (!path.endsWith('.csv')) throw new TtlError('E_BAD_INPUT', `${path}: segmentation data is a CSV manifest with file and mask columns`);
    return loadSegmentationManifest(path, {
      ...volumes, classes: config.classes ?? undefined, size: config.imageSize, shape: config.volumeShape ?? undefined,
      mode: config.slices ? 'slices' : 'volumes', seed: config.seed,
    });
  }
  const { dataset: data, report } = await loadDataset(path, {
    ...volumes, size: config.imageSize, seed: config.seed, volumeShape: config.volumeShape ?? undefined,
    dicom: { window: config.dicomWindow, ...(config.dicomFrame !== null ? { frame: config.dicomFrame } : {}) },
    cache: config.dataCache ?? true,
    ...(log ? { onWarning: log, onProgress: decodeProgressLine(log) } : {}),
  });
  if (log && report.source === 'cache') log(`data: mapped from the decoded-image cache (${report.cacheFiles![0].replace(/\.train\.ttlcache$/, '.*.ttlcache')})`);
  // The task is the config's, so that the columns of the journal and report are known before any data is read.
  if (isMultiLabel(data) !== (config.task === 'multilabel'))
    throw new TtlError('E_BAD_INPUT', isMultiLabel(data)
      ? `${path} is multi-label (${data.classes.length} labels): run it with task 'multilabel' (--task multilabel)`
      : `${path} has one class per image, but the run's task is 'multilabel' (a manifest needs a labels column of '|'-separated findings)`);
  return data;
}

/** "decoding: 12000/150000 images, 410 images/s, ETA 6 min", every 10 s and at the end. */
function decodeProgressLine(log: (line: string) => void): (p: DecodeProgress) => void {
  let last = 0;
  return (p) => {
    if (p.done < p.total && Date.now() - last < 10_000) return;
    last = Date.now();
    const eta = p.etaSeconds >= 90 ? `${Math.round(p.etaSeconds / 60)} min` : `${Math.round(p.etaSeconds)} s`;
    log(`decoding: ${p.done}/${p.total} images, ${p.imagesPerSecond.toFixed(0)} images/s${p.done < p.total ? `, ETA ${eta}` : ''}`);
  };
}
