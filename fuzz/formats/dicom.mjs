// DICOM (explicit VR little endian): a valid 8x8 slice, then lies in Rows/Columns/BitsAllocated,
// PixelData length, transfer syntax, element lengths, and a missing preamble.
import { element, us } from '../../test/support/dicom-element.mjs';
import { INTERESTING } from '../rng.mjs';

export function dicomBytes({ rows = 8, columns = 8, bits = 16, syntax = '1.2.840.10008.1.2.1', samples = 1, pixels = null, window = null, slope = '1' } = {}) {
  const meta = Buffer.concat([element(2, 1, 'OB', Buffer.from([0, 1])), element(2, 2, 'UI', Buffer.from('1.2.840.10008.5.1.4.1.1.7')),
    element(2, 3, 'UI', Buffer.from('1.2.3.4')), element(2, 0x10, 'UI', Buffer.from(syntax))]);
  const gl = Buffer.alloc(4);
  gl.writeUInt32LE(meta.length);
  const data = pixels ?? Buffer.alloc(((rows * columns * bits) / 8) | 0, 1);
  return Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), element(2, 0, 'UL', gl), meta,
    element(0x28, 2, 'US', us(samples)), element(0x28, 4, 'CS', Buffer.from('MONOCHROME2')),
    element(0x28, 0x10, 'US', us(rows)), element(0x28, 0x11, 'US', us(columns)), element(0x28, 0x100, 'US', us(bits)),
    ...(window ? [element(0x28, 0x1050, 'DS', Buffer.from(window[0])), element(0x28, 0x1051, 'DS', Buffer.from(window[1]))] : []),
    element(0x28, 0x1053, 'DS', Buffer.from(slope)),
    element(0x7fe0, 0x10, 'OW', data)]);
}

export function generate(r) {
  const spec = {};
  for (let m = r.int(4) - 1; m >= 0; m--) {
    switch (r.int(8)) {
      case 0: spec.rows = r.pick([0, 1, 65535, 30000]); break;
      case 1: spec.columns = r.pick([0, 65535, 4097]); spec.pixels = Buffer.alloc(128); break;
      case 2: spec.bits = r.pick([0, 1, 12, 32, 64, 8]); break;
      case 3: spec.syntax = r.pick(['1.2.840.10008.1.2.4.50', '1.2.840.10008.1.2.2', '', 'x']); break;
      case 4: spec.samples = r.pick([0, 3, 65535]); break;
      case 5: spec.window = r.pick([['40', '0'], ['nan', 'inf'], ['1e308', '-1e308']]); spec.slope = r.pick(['0', 'NaN', '1e300', '-']); break;
      case 6: spec.pixels = Buffer.alloc(r.pick([0, 1, 127])); break;
      default: spec.rows = r.pick(INTERESTING) & 0xffff; break;
    }
  }
  let bytes = dicomBytes(spec);
  if (r.chance(0.3)) bytes = bytes.subarray(r.chance(0.3) ? 132 : 0, 132 + r.int(bytes.length - 132));
  return { files: [{ path: 'slice.dcm', data: bytes }], entry: 'slice.dcm' };
}
