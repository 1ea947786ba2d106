// The size a compressed frame declares, read from its own header before a decoder allocates for it: a malformed
// or hostile stream that claims 65535 x 65535 would otherwise make the WebAssembly decoder grow its memory to
// gigabytes. A frame whose stream disagrees with the DICOM header is refused before it is decoded.
import type { Codec } from '../transfer-syntax.js';

export interface StreamSize {
  width: number;
  height: number;
  components: number;
}

/** JPEG family (baseline, extended, lossless, JPEG-LS): the first start-of-frame marker's fields. */
function jpegSize(bytes: Uint8Array): StreamSize | undefined {
  for (let i = 2; i + 9 < bytes.length; ) {
    if (bytes[i] !== 0xff) return undefined;
    const marker = bytes[i + 1];
    if (marker === 0xff) {
      i++;
      continue;
    }
    const sof = (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) || marker === 0xf7;
    if (sof) return { height: (bytes[i + 5] << 8) | bytes[i + 6], width: (bytes[i + 7] << 8) | bytes[i + 8], components: bytes[i + 9] };
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7)) {
      i += 2;
      continue;
    }
    i += 2 + ((bytes[i + 2] << 8) | bytes[i + 3]);
  }
  return undefined;
}

/** JPEG 2000 and HTJ2K: the SIZ segment after the codestream's SOC (found inside a JP2 wrapper too). */
function j2kSize(bytes: Uint8Array): StreamSize | undefined {
  for (let i = 0; i + 41 < bytes.length; i++) {
    if (bytes[i] !== 0xff || bytes[i + 1] !== 0x4f || bytes[i + 2] !== 0xff || bytes[i + 3] !== 0x51) continue;
    const view = new DataView(bytes.buffer, bytes.byteOffset + i + 4);
    const [xsiz, ysiz, x0, y0] = [view.getUint32(4), view.getUint32(8), view.getUint32(12), view.getUint32(16)];
    return { width: xsiz - x0, height: ysiz - y0, components: view.getUint16(36) };
  }
  return undefined;
}

/** What the frame's stream declares, or undefined when its header cannot be found (the decoder then says why). */
export function streamSize(codec: Codec, bytes: Uint8Array): StreamSize | undefined {
  if (codec === 'jpeg2000' || codec === 'htj2k') return j2kSize(bytes);
  if (codec === 'rle') return undefined;
  return jpegSize(bytes);
}
