// One explicit-VR little-endian DICOM element, shared by the test writer (test/dicom-writer.ts) and the fuzz
// suite's DICOM generator (fuzz/formats/dicom.mjs): real bytes for the real parser.

/**
 * @param {number} group
 * @param {number} elem
 * @param {string} vr two-letter value representation
 * @param {Buffer} value padded to an even length (UI with NUL, others with a space)
 * @returns {Buffer}
 */
export function element(group, elem, vr, value) {
  const padded = value.length % 2 ? Buffer.concat([value, Buffer.from([vr === 'UI' ? 0 : 0x20])]) : value;
  const long = ['OB', 'OW', 'UN', 'SQ', 'UT'].includes(vr);
  const head = Buffer.alloc(long ? 12 : 8);
  head.writeUInt16LE(group, 0);
  head.writeUInt16LE(elem, 2);
  head.write(vr, 4, 'latin1');
  if (long) head.writeUInt32LE(padded.length, 8);
  else head.writeUInt16LE(padded.length, 6);
  return Buffer.concat([head, padded]);
}

/**
 * An unsigned short value (US), truncated to 16 bits (the fuzz suite writes out-of-range numbers on purpose).
 * @param {number} v
 * @returns {Buffer}
 */
export function us(v) {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(v & 0xffff);
  return b;
}
