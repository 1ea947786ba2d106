// safetensors: a valid file of a few tensors, then lies in the JSON header (dtype, shape, offsets,
// __metadata__, duplicate keys, nesting) or in the layout (length prefix, holes, trailing bytes).
import { INTERESTING } from '../rng.mjs';

const DTYPES = { F32: 4, F16: 2, BF16: 2, F64: 8, I64: 8, U8: 1 };

function serialise(header, data, { duplicate = null, prefix = null } = {}) {
  // Deep nesting is spliced in as text: JSON.stringify itself recurses.
  let json = JSON.stringify(header).replace('"__DEEP__"', () => '['.repeat(100000) + ']'.repeat(100000));
  if (duplicate) json = json.replace(/}$/, `,${JSON.stringify(duplicate)}:${JSON.stringify(header[duplicate])}}`);
  const head = Buffer.from(json);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt.asUintN(64, BigInt(prefix ?? head.length)));
  return Buffer.concat([len, head, data]);
}

export function generate(r) {
  const header = {};
  const chunks = [];
  let offset = 0;
  const count = 1 + r.int(4);
  for (let i = 0; i < count; i++) {
    const dtype = r.pick(Object.keys(DTYPES));
    const shape = Array.from({ length: r.int(4) }, () => 1 + r.int(4));
    const bytes = shape.reduce((a, b) => a * b, 1) * DTYPES[dtype];
    header[`layer${i}.weight`] = { dtype, shape, data_offsets: [offset, offset + bytes] };
    chunks.push(Buffer.alloc(bytes, i + 1));
    offset += bytes;
  }
  let data = Buffer.concat(chunks);
  const opts = {};
  const names = Object.keys(header);
  const t = () => {
    const entry = header[r.pick(names)];
    return typeof entry === 'object' && Array.isArray(entry.shape) && Array.isArray(entry.data_offsets) ? entry : { shape: [], data_offsets: [0, 0] };
  };
  for (let m = r.int(4) - 1; m >= 0; m--) {
    switch (r.int(10)) {
      case 0: t().dtype = r.pick(['F8', '', '__proto__', 'constructor', 7, null, 'f32']); break;
      case 1: { const s = t().shape; if (s.length) s[r.int(s.length)] = r.pick([...INTERESTING, 1.5, '3', null]); else t().shape = [r.pick(INTERESTING)]; break; }
      case 2: t().data_offsets[r.int(2)] = r.pick([...INTERESTING, -8, 0.5]); break;
      case 3: header.__metadata__ = r.pick([[], ['a'], { a: 1 }, 'x', null, { format: 'pt' }]); break;
      case 4: opts.duplicate = r.pick(names); break;
      case 5: data = Buffer.concat([data, Buffer.from('trailing garbage')]); break;
      case 6: opts.prefix = r.pick([0, 1, 2 ** 32, 2 ** 53, -1, 100 * 1024 ** 2 + 1]); break;
      case 7: { const e = t(); e.data_offsets = e.data_offsets.map((o) => o + 4); } data = Buffer.concat([data, Buffer.alloc(4)]); break; // a hole
      case 8: header[r.pick(names)] = '__DEEP__'; break;
      default: t().shape = Array.from({ length: 2 }, () => r.pick([30000, 2 ** 26, 0])); break;
    }
  }
  return { files: [{ path: 'weights.safetensors', data: serialise(header, data, opts) }], entry: 'weights.safetensors' };
}
