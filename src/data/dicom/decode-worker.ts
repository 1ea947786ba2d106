// A worker thread that decodes DICOM files for readDicomAsync (pool.ts): the codecs run synchronously, and a
// malformed frame can make one loop (CharLS 2.4.4 did, on a fuzzed JPEG-LS scan); off the main thread it can be
// stopped, and the event loop of a service keeps turning meanwhile.
import { parentPort } from 'node:worker_threads';
import { readDicom, type ReadDicomOptions } from './image.js';

export interface DecodeRequest {
  id: number;
  bytes: Uint8Array;
  name: string;
  options: ReadDicomOptions;
}

parentPort!.on('message', ({ id, bytes, name, options }: DecodeRequest) => {
  try {
    const image = readDicom(bytes, { ...options, name });
    parentPort!.postMessage({ id, image }, [image.pixels.buffer as ArrayBuffer]);
  } catch (e) {
    const error = e as { code?: string; message?: string };
    parentPort!.postMessage({ id, error: { code: error.code, message: error.message ?? String(e) } });
  }
});
