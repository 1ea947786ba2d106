// DICOM says which colour space a JPEG frame holds (PS3.5 8.2.1: RGB means no colour transform); libjpeg-turbo
// decides from the stream instead, and takes 3 components without a JFIF or Adobe marker for YCbCr unless their
// ids are 'R', 'G', 'B'. An RGB frame whose stream does not say so is given those ids (in a copy), so that it is
// decoded as stored: converted as YCbCr, a real file's pixels were off by up to 137.

const SOF = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);
const RGB_IDS = [0x52, 0x47, 0x42];

/** The stream to decode for a frame that DICOM declares RGB: `encoded` itself, or a copy with 'R', 'G', 'B' ids. */
export function asDeclaredRgb(encoded: Uint8Array): Uint8Array {
  let jfif = false;
  let adobe: number | undefined;
  let sof: number | undefined;
  const scans: number[] = [];
  for (let i = 2; i + 4 <= encoded.length; ) {
    if (encoded[i] !== 0xff) return encoded; // not a marker where one must be: leave the stream to the decoder
    const marker = encoded[i + 1];
    if (marker === 0xff) {
      i++;
      continue;
    }
    const length = (encoded[i + 2] << 8) | encoded[i + 3];
    const body = i + 4;
    if (marker === 0xe0 && String.fromCharCode(...encoded.subarray(body, body + 4)) === 'JFIF') jfif = true;
    if (marker === 0xee && String.fromCharCode(...encoded.subarray(body, body + 5)) === 'Adobe') adobe = encoded[body + 11];
    if (SOF.has(marker)) sof = body;
    if (marker === 0xda) {
      scans.push(body);
      break; // entropy-coded data follows; a baseline frame's components are all in its first scan
    }
    i += 2 + length;
  }
  if (jfif || adobe !== undefined || sof === undefined || encoded[sof + 5] !== 3) return encoded;
  const ids = [0, 1, 2].map((c) => encoded[sof! + 6 + 3 * c]);
  if (ids.every((id, c) => id === RGB_IDS[c])) return encoded;
  const copy = encoded.slice();
  ids.forEach((id, c) => (copy[sof! + 6 + 3 * c] = RGB_IDS[c]));
  for (const scan of scans) {
    for (let k = 0; k < copy[scan]; k++) {
      const at = scan + 1 + 2 * k;
      const c = ids.indexOf(copy[at]);
      if (c >= 0) copy[at] = RGB_IDS[c];
    }
  }
  return copy;
}
