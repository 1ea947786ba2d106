// Volume files, one door: NIfTI-1 (nifti.ts), NRRD (nrrd.ts) and MetaImage (metaimage.ts), chosen by extension;
// what they share once a header is read is in voxels.ts. DICOM series and multi-frame files are data/dicom's.
import { TtlError } from '../../errors.js';
import { readMetaImage } from './metaimage.js';
import { readNifti, scaled } from './nifti.js';
import { readNrrd } from './nrrd.js';
import type { Volume } from './voxels.js';

export { readNifti, scaled, type NiftiVolume, type VoxelArray } from './nifti.js';
export { readNrrd } from './nrrd.js';
export { readMetaImage } from './metaimage.js';
export { MAX_VOXEL_BYTES, type Volume } from './voxels.js';

/** The extensions of the volume files read here (a .raw beside a .mhd or .nhdr is their data, not a volume). */
export const VOLUME_FILE = /\.(nii|nii\.gz|nrrd|nhdr|mha|mhd)$/i;

/** A volume file as float32 values (NIfTI's scl_slope/inter applied), x fastest, with its voxel spacing. */
export function readVolumeFile(path: string): Volume {
  const extension = VOLUME_FILE.exec(path)?.[1].toLowerCase();
  if (extension === 'nrrd' || extension === 'nhdr') return readNrrd(path);
  if (extension === 'mha' || extension === 'mhd') return readMetaImage(path);
  if (extension !== 'nii' && extension !== 'nii.gz') throw new TtlError('E_BAD_IMAGE', `${path}: not a volume file (expected .nii, .nii.gz, .nrrd, .nhdr, .mha or .mhd)`);
  const nifti = readNifti(path);
  if (nifti.shape.length < 3 || nifti.shape.slice(3).some((d) => d !== 1))
    throw new TtlError('E_BAD_IMAGE', `${path}: expected a 3D volume, got shape [${nifti.shape.join(', ')}]`);
  const [x, y, z] = nifti.shape;
  return { shape: [x, y, z], spacing: [nifti.pixdim[0], nifti.pixdim[1], nifti.pixdim[2]], values: scaled(nifti) };
}
