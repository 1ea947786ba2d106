// Every error code ttl-torch raises and what it means: the one list. TypeScript takes ErrorCode from it; CMake
// reads its keys into the addon's generated error_codes.h, and ttl::Error turns a code not listed into
// E_INTERNAL; test/unit/error-codes.test.ts checks that every code the sources throw is here and each is used.
// One entry per line, `E_NAME: 'meaning',` (CMake matches that shape).
export const ERROR_CODES = {
  E_BAD_ARGUMENT: 'an option or argument is not what the function takes',
  E_BAD_INPUT: 'input data (a dataset, manifest, volume or tensor) is malformed or does not fit',
  E_BAD_IMAGE: 'an image file cannot be decoded',
  E_BAD_CUTOFF: 'a cutoff is not a unit of the network',
  E_BAD_ARCH: 'an architecture description the native builder cannot build',
  E_UNKNOWN_MODEL: 'no model card of that name',
  E_UNKNOWN_WEIGHTS: 'the model card has no weights of that name',
  E_BAD_WEIGHTS: 'a weights file is malformed, hostile or of an unsupported kind',
  E_BAD_CACHE: 'a decoded-image cache file is torn, foreign, from another format version or corrupt (it is rebuilt)',
  E_BAD_RUN: 'a run folder (config, journal, trial files) is corrupt or was edited by hand',
  E_WEIGHTS_MISMATCH: 'a checkpoint does not fit the model (names, shapes, identity)',
  E_WEIGHTS_NOT_FOUND: 'weights are not available (offline and not cached)',
  E_DOWNLOAD: 'a download failed',
  E_CHECKSUM: 'a downloaded file does not have the expected checksum',
  E_NO_FILE: 'a file or folder that was named does not exist',
  E_NO_CUDA: 'CUDA was asked for but this build or machine has none',
  E_DISPOSED: 'the model was disposed',
  E_BUSY: 'the model has calls running',
  E_DIVERGED: 'training produced a non-finite loss',
  E_CANCELLED: 'an AbortSignal stopped the work',
  E_OUT_OF_MEMORY: 'LibTorch could not allocate memory',
  E_EXPORT_UNSUPPORTED: 'the ONNX exporter cannot write this network or head (named in the message)',
  E_INT8_UNSUPPORTED: 'int8 serving cannot quantize this network, head or device (named in the message)',
  E_TORCH: 'LibTorch raised an error of its own',
  E_INTERNAL: 'an invariant of ttl-torch itself broke (a bug: please report it)',
  E_NATIVE: 'the native addon failed in an unexpected way',
  E_NATIVE_MISSING: 'no native addon was found for this platform and LibTorch',
  E_NATIVE_MISMATCH: 'the native addon was built for another LibTorch or package version',
  E_NO_DISTRIBUTED: 'this LibTorch has no c10d (TCPStore, Gloo)',
  E_NO_NCCL: 'NCCL was asked for but this LibTorch has none',
  E_DIST_BIND: 'the distributed store cannot listen on its address',
  E_DIST_UNREACHABLE: 'the distributed master cannot be reached',
  E_DIST_TIMEOUT: 'a distributed operation timed out',
  E_DIST_LOST: 'a rank or the master went away',
  E_DIST_GROUP: 'a process group cannot be formed',
  E_DIST_CLOSED: 'the store or group was closed',
  E_DIST_MISMATCH: 'the ranks of a distributed run disagree on its configuration',
} as const;

/** Stable error codes; tests and callers match on `err.code`, never on message text alone. */
export type ErrorCode = keyof typeof ERROR_CODES;
