// ttl-torch/weights: safetensors reading and writing, pretrained weights found by name (cache, mirror, URL, each
// checked against its checksum), and what a ttl-torch checkpoint says about itself.
export { readSafetensors, readSafetensorsAsync, writeSafetensors, toFloat32, type SafeTensor, type SafeTensorsFile } from './safetensors.js';
export { resolveWeights, defaultCacheDir, sha256File, type ResolveOptions, type ResolvedWeights } from './resolve.js';
export { readCheckpointInfo, PREPROCESSING_VERSION, type CheckpointInfo, type CheckpointInput, type CheckpointStorage, type CheckpointFormat } from './checkpoint.js';
