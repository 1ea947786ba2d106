// The WebAssembly decoders (Cornerstone's builds of OpenJPEG, OpenJPH, CharLS and libjpeg-turbo: the ones OHIF
// reads PACS data with), instantiated synchronously on first use so that readDicom can stay synchronous. Each
// takes a frame's bytes and returns its samples, interleaved, in a fresh array.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

interface FrameInfo {
  width: number;
  height: number;
  bitsPerSample: number;
  componentCount: number;
  isSigned?: boolean;
}
interface WasmDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  getDecodedBuffer(): Uint8Array;
  decode(): void;
  getFrameInfo(): FrameInfo;
  getInterleaveMode?(): number;
  delete(): void;
}
type DecoderClass = new () => WasmDecoder;

export interface WasmFrame {
  info: FrameInfo;
  /** The decoded bytes: 1 byte a sample up to 8 bits, 2 (little-endian) above. */
  bytes: Uint8Array;
  /** CharLS: 0 = one plane after another (ILV none), 1/2 = interleaved by line or sample. */
  interleave?: number;
}

const require = createRequire(import.meta.url);
const WASM = {
  openjpeg: { js: '@cornerstonejs/codec-openjpeg/decodewasmjs', wasm: '@cornerstonejs/codec-openjpeg/decodewasm', decoder: 'J2KDecoder' },
  openjph: { js: '@cornerstonejs/codec-openjph/wasmjs', wasm: '@cornerstonejs/codec-openjph/wasm', decoder: 'HTJ2KDecoder' },
  charls: { js: '@cornerstonejs/codec-charls/decodewasmjs', wasm: '@cornerstonejs/codec-charls/decodewasm', decoder: 'JpegLSDecoder' },
  libjpegTurbo: { js: '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs', wasm: '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasm', decoder: 'JPEGDecoder' },
} as const;
export type WasmCodec = keyof typeof WASM;

const loaded = new Map<WasmCodec, DecoderClass>();

/**
 * The module's decoder class. Emscripten's factory returns a promise, but with the binary compiled here and
 * instantiated in its instantiateWasm hook the module has run before the factory returns.
 */
function decoderClass(codec: WasmCodec): DecoderClass {
  const known = loaded.get(codec);
  if (known) return known;
  const spec = WASM[codec];
  const factory = require(spec.js) as (module: object) => Promise<unknown>;
  const binary = new WebAssembly.Module(readFileSync(require.resolve(spec.wasm)));
  const module: Record<string, unknown> = {
    instantiateWasm(imports: WebAssembly.Imports, done: (instance: WebAssembly.Instance) => void) {
      const instance = new WebAssembly.Instance(binary, imports);
      done(instance);
      return instance.exports;
    },
    print: () => {},
    printErr: () => {},
  };
  factory(module).catch(() => {});
  const cls = module[spec.decoder] as DecoderClass | undefined;
  if (typeof cls !== 'function') throw new Error(`${spec.js} did not start synchronously`);
  loaded.set(codec, cls);
  return cls;
}

/** Decodes one frame; a decoder that fails (a malformed stream) throws, and its WebAssembly state is freed either way. */
export function decodeWasm(codec: WasmCodec, encoded: Uint8Array): WasmFrame {
  const decoder = new (decoderClass(codec))();
  try {
    decoder.getEncodedBuffer(encoded.length).set(encoded);
    decoder.decode();
    return { info: decoder.getFrameInfo(), bytes: decoder.getDecodedBuffer().slice(), interleave: decoder.getInterleaveMode?.() };
  } finally {
    decoder.delete();
  }
}
