// The fuzzed formats: each makes one case (files + the entry handed to the reader) from a seeded rng.
import * as csv from './csv.mjs';
import * as dicom from './dicom.mjs';
import * as dicomCodecs from './dicom-codecs.mjs';
import * as image from './image.mjs';
import * as nifti from './nifti.mjs';
import * as npy from './npy.mjs';
import * as pth from './pth.mjs';
import * as rundir from './rundir.mjs';
import * as safetensors from './safetensors.mjs';
import * as textHeaderVolumes from './text-header-volumes.mjs';

export const FORMATS = {
  safetensors: safetensors.generate,
  'pth-zip': (r) => pth.generate(r, { legacy: false }),
  'pth-legacy': (r) => pth.generate(r, { legacy: true }),
  npz: npy.generateNpz,
  npy: npy.generateNpy,
  nifti: nifti.generate,
  nrrd: textHeaderVolumes.generateNrrd,
  metaimage: textHeaderVolumes.generateMetaImage,
  dicom: dicom.generate,
  'dicom-codecs': dicomCodecs.generate,
  image: image.generate,
  csv: csv.generate,
  rundir: rundir.generate,
};
