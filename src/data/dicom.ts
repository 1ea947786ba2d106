// DICOM (uncompressed transfer syntaxes) to a grayscale image in [0, 1]: rescale slope/intercept to
// modality units (HU for CT), the stored window when present (else the image's range), MONOCHROME1 inverted.
import { readFileSync } from 'node:fs';
import dicomParser from 'dicom-parser';
import { TtlError } from '../errors.js';

export interface GrayImage {
  width: number;
  height: number;
  /** Intensities in [0, 1], row-major. */
  pixels: Float32Array;
}

const UNCOMPRESSED = new Set(['1.2.840.10008.1.2', '1.2.840.10008.1.2.1']);

function firstNumber(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const n = Number(value.split('\\')[0]);
  return Number.isFinite(n) ? n : undefined;
}

/** One DICOM image in modality units (HU for CT) with the geometry needed to stack a series. */
export interface DicomSlice {
  rows: number;
  columns: number;
  /** Stored values x RescaleSlope + RescaleIntercept, row-major. */
  values: Float32Array;
  window?: [number, number];
  monochrome1: boolean;
  position?: number[];
  orientation?: number[];
  pixelSpacing?: number[];
}

/** dicom-parser throws strings and plain objects ({ exception, dataSet }), not only Errors. */
function parserMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (typeof e === 'string') return e;
  const exception = (e as { exception?: unknown } | null)?.exception;
  if (typeof exception === 'string') return exception;
  if (exception instanceof Error) return exception.message;
  return 'the parser failed without a reason';
}

const numbers = (value: string | undefined) => value?.split('\\').map(Number).filter(Number.isFinite);

export function readDicomSlice(path: string): DicomSlice {
  const fail = (what: string) => new TtlError('E_BAD_IMAGE', `${path}: unreadable DICOM (${what})`);
  let data: dicomParser.DataSet;
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new TtlError('E_NO_FILE', `cannot open ${path}: ${(e as Error).message}`);
  }
  try {
    data = dicomParser.parseDicom(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (e) {
    throw fail(parserMessage(e));
  }
  const syntax = data.string('x00020010') ?? '1.2.840.10008.1.2';
  if (!UNCOMPRESSED.has(syntax)) throw fail(`transfer syntax ${syntax} is compressed; convert to explicit VR little endian first`);
  const rows = data.uint16('x00280010');
  const columns = data.uint16('x00280011');
  const bits = data.uint16('x00280100');
  const signed = data.uint16('x00280103') === 1;
  const samples = data.uint16('x00280002') ?? 1;
  const pixel = data.elements.x7fe00010;
  if (!rows || !columns || !bits || !pixel) throw fail('missing Rows, Columns, BitsAllocated or PixelData');
  if (samples !== 1) throw fail(`${samples} samples per pixel; only grayscale DICOM is supported`);
  const n = rows * columns;
  if (pixel.length < (n * bits) / 8) throw fail(`PixelData holds ${pixel.length} bytes, ${rows}x${columns}x${bits} bits needs ${(n * bits) / 8}`);
  if (pixel.dataOffset + pixel.length > data.byteArray.length) throw fail('PixelData extends past the end of the file');
  const view = new DataView(data.byteArray.buffer, data.byteArray.byteOffset + pixel.dataOffset, pixel.length);
  const read =
    bits === 8 ? (i: number) => (signed ? view.getInt8(i) : view.getUint8(i))
    : bits === 16 ? (i: number) => (signed ? view.getInt16(2 * i, true) : view.getUint16(2 * i, true))
    : null;
  if (!read) throw fail(`BitsAllocated ${bits} is not supported (8 or 16)`);
  const slope = firstNumber(data.string('x00281053')) ?? 1;
  const intercept = firstNumber(data.string('x00281052')) ?? 0;
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = read(i) * slope + intercept;
  const center = firstNumber(data.string('x00281050'));
  const width = firstNumber(data.string('x00281051'));
  return {
    rows, columns, values, monochrome1: (data.string('x00280004') ?? '').trim() === 'MONOCHROME1',
    window: center !== undefined && width !== undefined && width > 0 ? [center - width / 2, center + width / 2] : undefined,
    position: numbers(data.string('x00200032')), orientation: numbers(data.string('x00200037')), pixelSpacing: numbers(data.string('x00280030')),
  };
}

/** One DICOM image as grayscale in [0, 1]: modality units, then the stored window (else the range), MONOCHROME1 inverted. */
export function readDicom(path: string): GrayImage {
  const slice = readDicomSlice(path);
  let [lo, hi] = slice.window ?? [Infinity, -Infinity];
  if (!slice.window) for (const v of slice.values) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
  const span = hi > lo ? hi - lo : 1;
  const pixels = new Float32Array(slice.values.length);
  for (let i = 0; i < pixels.length; i++) {
    const t = Math.min(1, Math.max(0, (slice.values[i] - lo) / span));
    pixels[i] = slice.monochrome1 ? 1 - t : t;
  }
  return { width: slice.columns, height: slice.rows, pixels };
}
