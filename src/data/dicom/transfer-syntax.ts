// Transfer syntaxes: how a DICOM file's data set and pixels are encoded, by UID. The one table; the parser reads
// byte order and deflate from it, the pixel-data reader which codec decodes each frame.

/** The codec that decodes a frame of encapsulated pixel data (codecs/index.ts). */
export type Codec = 'rle' | 'jpeg-baseline' | 'jpeg-extended' | 'jpeg-lossless' | 'jpeg-ls' | 'jpeg2000' | 'htj2k';

export interface TransferSyntax {
  name: string;
  /** Explicit VR Big Endian: the data set and native pixels are big-endian. */
  bigEndian?: boolean;
  /** The data set after the file meta information is raw-deflated. */
  deflated?: boolean;
  /** Encapsulated (compressed) pixel data and its codec; native pixels otherwise. */
  codec?: Codec;
  /** Lossy codecs are compared with a tolerance; lossless ones exactly. */
  lossy?: boolean;
}

export const IMPLICIT_LITTLE_ENDIAN = '1.2.840.10008.1.2';
export const EXPLICIT_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
export const EXPLICIT_BIG_ENDIAN = '1.2.840.10008.1.2.2';

export const TRANSFER_SYNTAXES: Record<string, TransferSyntax> = {
  [IMPLICIT_LITTLE_ENDIAN]: { name: 'Implicit VR Little Endian' },
  [EXPLICIT_LITTLE_ENDIAN]: { name: 'Explicit VR Little Endian' },
  '1.2.840.10008.1.2.1.99': { name: 'Deflated Explicit VR Little Endian', deflated: true },
  [EXPLICIT_BIG_ENDIAN]: { name: 'Explicit VR Big Endian', bigEndian: true },
  '1.2.840.10008.1.2.5': { name: 'RLE Lossless', codec: 'rle' },
  '1.2.840.10008.1.2.4.50': { name: 'JPEG Baseline (Process 1)', codec: 'jpeg-baseline', lossy: true },
  '1.2.840.10008.1.2.4.51': { name: 'JPEG Extended (Process 2 & 4)', codec: 'jpeg-extended', lossy: true },
  '1.2.840.10008.1.2.4.57': { name: 'JPEG Lossless, Non-Hierarchical (Process 14)', codec: 'jpeg-lossless' },
  '1.2.840.10008.1.2.4.70': { name: 'JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14, SV1)', codec: 'jpeg-lossless' },
  '1.2.840.10008.1.2.4.80': { name: 'JPEG-LS Lossless', codec: 'jpeg-ls' },
  '1.2.840.10008.1.2.4.81': { name: 'JPEG-LS Lossy (Near-Lossless)', codec: 'jpeg-ls', lossy: true },
  '1.2.840.10008.1.2.4.90': { name: 'JPEG 2000 (Lossless Only)', codec: 'jpeg2000' },
  '1.2.840.10008.1.2.4.91': { name: 'JPEG 2000', codec: 'jpeg2000', lossy: true },
  '1.2.840.10008.1.2.4.201': { name: 'High-Throughput JPEG 2000 (Lossless Only)', codec: 'htj2k' },
  '1.2.840.10008.1.2.4.202': { name: 'High-Throughput JPEG 2000 with RPCL Options (Lossless Only)', codec: 'htj2k' },
  '1.2.840.10008.1.2.4.203': { name: 'High-Throughput JPEG 2000', codec: 'htj2k', lossy: true },
};
