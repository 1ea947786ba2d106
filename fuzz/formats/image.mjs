// PNG / JPEG: small valid images from sharp, then lies in the IHDR / SOF dimensions (16000 x 16000 with
// a valid CRC, so that only a header-first check stops the decode), bit depth and colour type.
import { crc32 } from 'node:zlib';
import sharp from 'sharp';

let seeds = null;
async function seedImages() {
  if (seeds) return seeds;
  const raw = Buffer.from(Array.from({ length: 16 * 16 * 3 }, (_, i) => (i * 29) & 0xff));
  const gray = Buffer.from(Array.from({ length: 16 * 16 * 2 }, (_, i) => (i * 13) & 0xff));
  seeds = {
    png: await sharp(raw, { raw: { width: 16, height: 16, channels: 3 } }).png().toBuffer(),
    png16: await sharp(gray, { raw: { width: 16, height: 16, channels: 1 } }).toColourspace('grey16').png().toBuffer(),
    jpeg: await sharp(raw, { raw: { width: 16, height: 16, channels: 3 } }).jpeg().toBuffer(),
  };
  return seeds;
}

function fixIhdrCrc(png) {
  png.writeUInt32BE(crc32(png.subarray(12, 29)) >>> 0, 29);
  return png;
}

export async function generate(r) {
  const s = await seedImages();
  const kind = r.pick(['png', 'png16', 'jpeg']);
  const bytes = Buffer.from(s[kind]);
  if (kind !== 'jpeg') {
    switch (r.int(4)) {
      case 0: bytes.writeUInt32BE(r.pick([16000, 65535, 0, 2 ** 31 - 1]), 16); bytes.writeUInt32BE(r.pick([16000, 1, 0x7fffffff]), 20); break;
      case 1: bytes[24] = r.pick([0, 3, 7, 32]); break; // bit depth
      case 2: bytes[25] = r.pick([1, 5, 8]); break; // colour type
      default: break;
    }
    fixIhdrCrc(bytes);
  } else {
    const sof = bytes.indexOf(Buffer.from([0xff, 0xc0]));
    if (sof > 0 && r.chance(0.6)) (bytes.writeUInt16BE(r.pick([16000, 65535, 0]), sof + 5), bytes.writeUInt16BE(r.pick([16000, 65535, 0]), sof + 7));
  }
  const ext = kind === 'jpeg' ? 'jpg' : 'png';
  return { files: [{ path: `image.${ext}`, data: bytes }], entry: `image.${ext}`, havoc: r.chance(0.4) };
}
