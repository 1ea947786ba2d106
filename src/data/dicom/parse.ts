// Bytes to a parsed data set: Part 10 files (the DICM preamble), and data sets without one (a PACS export or a
// C-STORE dump), whose byte order and VR encoding are read from their first element. Deflated data sets are
// inflated here, with a bound, since dicom-parser's own Node path breaks on Uint8Array input.
import { readFileSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';
import dicomParser from 'dicom-parser';
import { TtlError } from '../../errors.js';
import { EXPLICIT_BIG_ENDIAN, EXPLICIT_LITTLE_ENDIAN, IMPLICIT_LITTLE_ENDIAN, TRANSFER_SYNTAXES, type TransferSyntax } from './transfer-syntax.js';

export interface ParsedDicom {
  /** The file (or what stands for it in messages). */
  path: string;
  data: dicomParser.DataSet;
  syntaxUid: string;
  syntax: TransferSyntax;
}

/**
 * A deflated data set is refused when it would inflate past this: a bomb, not an image (the deflated syntax is
 * used for reports and small images; a 100-frame 512 x 512 CT is 50 MiB). Inflating then copies once more.
 */
export const MAX_INFLATED_BYTES = 128 * 1024 * 1024;

/** The error every DICOM refusal raises: the file, then what is wrong (naming the tag where one is at fault). */
export const dicomError = (path: string, what: string) => new TtlError('E_BAD_IMAGE', `${path}: ${what}`);

const VRS = new Set('AE AS AT CS DA DS DT FD FL IS LO LT OB OD OF OL OV OW PN SH SL SQ SS ST SV TM UC UI UL UN UR US UT UV'.split(' '));

/** How a data set without a preamble is encoded, from its first element; undefined when it is not DICOM. */
function headerlessSyntax(bytes: Uint8Array): string | undefined {
  if (bytes.length < 8) return undefined;
  const little = bytes[0] | (bytes[1] << 8);
  const big = (bytes[0] << 8) | bytes[1];
  const explicit = VRS.has(String.fromCharCode(bytes[4], bytes[5]));
  // A data set opens with its lowest group: the file meta (0002), or the identifying group (0008) after it.
  if (little === 0x0002) return EXPLICIT_LITTLE_ENDIAN; // file meta is always explicit little endian
  if (little === 0x0008) return explicit ? EXPLICIT_LITTLE_ENDIAN : IMPLICIT_LITTLE_ENDIAN;
  if (big === 0x0008 && explicit) return EXPLICIT_BIG_ENDIAN;
  return undefined;
}

const hasPreamble = (bytes: Uint8Array) =>
  bytes.length >= 132 && bytes[128] === 0x44 && bytes[129] === 0x49 && bytes[130] === 0x43 && bytes[131] === 0x4d;

/** Whether bytes are DICOM by content: the Part 10 preamble, or a data set that opens as one does. */
export function looksLikeDicom(bytes: Uint8Array): boolean {
  return hasPreamble(bytes) || headerlessSyntax(bytes) !== undefined;
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

/** A file (E_NO_FILE when it cannot be read) or bytes, parsed. */
export function loadDicom(source: string | Uint8Array): ParsedDicom {
  if (typeof source !== 'string') return parseDicomBytes(source, '<DICOM bytes>');
  let bytes: Buffer;
  try {
    bytes = readFileSync(source);
  } catch (e) {
    throw new TtlError('E_NO_FILE', `cannot open ${source}: ${(e as Error).message}`);
  }
  return parseDicomBytes(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), source);
}

export function parseDicomBytes(bytes: Uint8Array, path: string): ParsedDicom {
  const preamble = hasPreamble(bytes);
  const guessed = preamble ? undefined : headerlessSyntax(bytes);
  if (!preamble && !guessed) throw dicomError(path, 'not DICOM: no DICM preamble at byte 128, and it does not open with a data set element (group 0002 or 0008)');
  const inflater = (array: Uint8Array, position: number) => {
    let inflated: Buffer;
    try {
      inflated = inflateRawSync(array.subarray(position), { maxOutputLength: MAX_INFLATED_BYTES });
    } catch (e) {
      throw dicomError(path, `the deflated data set cannot be inflated (${(e as Error).message}; at most ${MAX_INFLATED_BYTES / 2 ** 20} MiB)`);
    }
    const full = new Uint8Array(position + inflated.length);
    full.set(array.subarray(0, position));
    full.set(inflated, position);
    return full;
  };
  let data: dicomParser.DataSet;
  try {
    data = dicomParser.parseDicom(bytes, { inflater, ...(guessed ? { TransferSyntaxUID: guessed } : {}) } as dicomParser.ParseDicomOptions);
  } catch (e) {
    if (e instanceof TtlError) throw e; // the inflater's own refusal, already coded and named
    throw dicomError(path, `unreadable DICOM (${parserMessage(e)})`);
  }
  const syntaxUid = (data.string('x00020010') ?? guessed ?? IMPLICIT_LITTLE_ENDIAN).replace(/\0/g, '').trim();
  const syntax = TRANSFER_SYNTAXES[syntaxUid];
  if (!syntax) throw dicomError(path, `(0002,0010) TransferSyntaxUID ${syntaxUid} is not one ttl-torch decodes (${Object.values(TRANSFER_SYNTAXES).map((s) => s.name).join('; ')})`);
  return { path, data, syntaxUid, syntax };
}
