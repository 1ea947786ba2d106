// Sizes past which an image file is refused from its header, before anything is decoded or allocated.

/** Pixels of one image (one frame): training downscales anyway, and a lying header must not allocate gigabytes. */
export const MAX_PIXELS = 64 * 1024 * 1024;

/** Decoded samples of one DICOM file, all frames and channels (4 bytes each once in [0, 1]): 1 GiB. */
export const MAX_DICOM_SAMPLES = 2 ** 28;
