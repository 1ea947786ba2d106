// DICOM, one door: files or bytes to images in [0, 1] (image.ts), single slices, series and multi-frame files to
// modality units for volumes (slice.ts, series.ts, frames-volume.ts; geometry.ts, functional-groups.ts), detection by content (parse.ts). Behind it: transfer-syntax.ts, pixel-data.ts
// (frames and stored values), codecs/, modality.ts, voi.ts (window policies), colour.ts, lut.ts.
export { readDicom, readDicomHeader, type DicomImage, type GrayImage, type ReadDicomOptions } from './image.js';
export { readDicomAsync } from './read-async.js';
export { readDicomSlice, type DicomSlice } from './slice.js';
export { readDicomSeries, type DicomVolume } from './series.js';
export { readDicomFramesVolume } from './frames-volume.js';
export { looksLikeDicom } from './parse.js';
export { CT_WINDOWS, checkWindowPolicy, type AppliedWindow, type WindowPolicy } from './voi.js';
export { TRANSFER_SYNTAXES } from './transfer-syntax.js';
