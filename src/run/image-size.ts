// The input size of a run that names none ('auto'), decided once before the run is created and saved with it.
// 2D networks train at 64 px whatever the data's size: ImageNet CNNs shrink their input 32-fold, so a 28 px
// MedMNIST image would leave the last stages a 1x1 map. 3D networks on a MedMNIST 3D .npz whose volumes are
// smaller than that use the volumes' own size: AdrenalMNIST3D's 28^3 brought to 64^3 is 12x the voxels (and the
// time) with no new information. CSV manifests of NIfTI/DICOM volumes differ in size file by file, so they keep
// 64 unless imageSize or volumeShape says otherwise.
import { isDatasetName, resolveDataset } from '../data/catalog.js';
import { readMedMNISTAsync } from '../data/medmnist.js';
import { getModelCard, spatialDims } from '../registry.js';
import type { RunConfig, SizedRunConfig } from './config.js';

export const DEFAULT_IMAGE_SIZE = 64;
const SMALLEST = 16;

export interface ImageSizeChoice {
  size: number;
  /** Why, for the plan line: 'given', 'default' or the data's own size. */
  reason: string;
}

/** The size a run trains at: the configured one, or what 'auto' becomes for this model and data. */
export async function chooseImageSize(config: RunConfig): Promise<ImageSizeChoice> {
  if (config.imageSize !== 'auto') return { size: config.imageSize, reason: 'given' };
  const card = getModelCard(config.model);
  const fallback = { size: Math.max(DEFAULT_IMAGE_SIZE, card.input.minSize ?? 0), reason: 'default' };
  if (spatialDims(card) === 2 || config.task !== 'classification') return fallback;
  const path = isDatasetName(config.data) ? await resolveDataset(config.data) : config.data;
  if (!path.endsWith('.npz')) return fallback;
  const { train } = await readMedMNISTAsync(path);
  if (train.shape.length !== 4) return fallback;
  const edge = Math.max(...train.shape.slice(1));
  if (edge >= DEFAULT_IMAGE_SIZE) return fallback;
  const size = Math.max(edge, SMALLEST, card.input.minSize ?? 0);
  return { size, reason: `the volumes' own size (${train.shape.slice(1).join('x')}); the default ${DEFAULT_IMAGE_SIZE} would upsample them` };
}

/** The configuration with its image size a number, said in `log` when 'auto' chose it; a sized one is returned as it is. */
export async function withImageSize(config: RunConfig, log: (line: string) => void = () => {}): Promise<SizedRunConfig> {
  if (config.imageSize !== 'auto') return config as SizedRunConfig;
  const { size, reason } = await chooseImageSize(config);
  log(`image size ${size} (${reason}; set imageSize to choose)`);
  return { ...config, imageSize: size };
}
