// ttl-torch/data: datasets by name, folders and CSV manifests, MedMNIST .npz, DICOM, NIfTI, NRRD and MetaImage volumes, splits,
// and segmentation pairs; what finetune() and trainSegmentation() take.
export { readMedMNIST, readMedMNISTAsync } from './medmnist.js';
export { classCounts, imageRows, isMultiLabel, sampleBits, type ImageDataset, type ImageSplit, type MappedImages, type MemorySplit } from './dataset.js';
export { type FindingColumns, type FindingsOptions } from './findings.js';
export { loadDataset, loadEntries, describeDataset } from './load.js';
export { folderEntries, csvEntries, type LoadImagesOptions, type ManifestEntry, type DatasetLoadReport, type DecodeProgress } from './manifest.js';
export { openImageCache, type CacheHeader, type CachedSplit } from './image-cache.js';
export { stratifiedSplit, type SplitFractions, type SplitName } from './split.js';
export { resolveDataset, DATASETS, type KnownDataset } from './catalog.js';
export {
  readDicom, readDicomAsync, readDicomHeader, readDicomSeries, readDicomFramesVolume, looksLikeDicom, TRANSFER_SYNTAXES,
  type DicomImage, type GrayImage, type ReadDicomOptions, type WindowPolicy, type AppliedWindow, type DicomVolume,
} from './dicom/index.js';
export { type DicomDecoding } from './decode.js';
export { readNifti, readNrrd, readMetaImage, scaled, type NiftiVolume, type VoxelArray } from './volumes/index.js';
export { readVolume, resampleVolume, shapeForSpacing, windowed, CT_WINDOWS, type Volume, type VolumeDecoding, type Intensity } from './volume.js';
export {
  loadSegmentationManifest, loadSegmentationPairs, segmentationPairs, toNativeSegmentationStore,
  type SegmentationDataset, type SegmentationSplit, type SegmentationLoadOptions, type SegmentationPair, type LabelClasses,
} from './segmentation.js';
