// torch.save checkpoints, zip and legacy formats, from a tensor plan that mutations bend: shapes,
// strides (negative, zero with a huge shape), offsets, storage types (__proto__), missing storages,
// self-referential and deeply nested dicts, and code-running globals that the allow-list must refuse.
import { INTERESTING } from '../rng.mjs';
import { Pickle, stateDictPickle } from './pickle.mjs';
import { zipBytes } from './zip.mjs';

const TYPES = { FloatStorage: 4, HalfStorage: 2, LongStorage: 8, ByteStorage: 1, DoubleStorage: 8 };

function plan(r) {
  return Array.from({ length: 1 + r.int(3) }, (_, i) => {
    const shape = Array.from({ length: 1 + r.int(3) }, () => 1 + r.int(4));
    const stride = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
    const type = r.pick(Object.keys(TYPES));
    return { name: `features.${i}.weight`, type, bytes: TYPES[type], key: String(i), offset: 0, shape, stride };
  });
}

const numelOf = (t) => t.shape.reduce((a, b) => a * b, 1);

/** Pickles that must never run code or recurse: each is refused or read, never executed. */
function hostile(r) {
  const p = new Pickle();
  switch (r.int(7)) {
    case 0: return p.global(r.pick(['os', 'posix', 'subprocess', 'builtins']), r.pick(['system', 'eval', 'exec', 'Popen', 'getattr'])).str('touch /tmp/pwned').op(0x85, 0x52).stop().bytes();
    case 1: return p.global('torch', r.pick(['__proto__', 'constructor', 'toString', 'hasOwnProperty'])).op(0x29, 0x52).stop().bytes();
    case 2: { for (let i = 0; i < 20000; i++) p.op(0x5d); for (let i = 0; i < 19999; i++) p.op(0x61); return p.stop().bytes(); } // nested lists
    case 3: { p.op(0x5d, 0x28); for (let i = 0; i < 200000; i++) p.op(0x4e); return p.op(0x65).stop().bytes(); } // one huge APPENDS
    case 4: return p.op(0x5d, 0x71, 0, 0x68, 0, 0x61).stop().bytes(); // a list containing itself
    case 5: return p.op(0x7d, 0x5d, 0x71, 0, 0x68, 0, 0x61, 0x4e, 0x73).stop().bytes(); // a self-containing list as a key
    default: { p.global('torch._utils', '_rebuild_tensor_v2').op(0x28); for (let i = 0; i < 100000; i++) p.op(0x4e); return p.op(0x74, 0x52).stop().bytes(); }
  }
}

function mutatePlan(tensors, r) {
  const t = r.pick(tensors);
  const opts = {};
  for (let m = r.int(4) - 1; m >= 0; m--) {
    switch (r.int(9)) {
      case 0: t.shape[r.int(t.shape.length)] = r.pick(INTERESTING); break;
      case 1: t.stride[r.int(t.stride.length)] = r.pick([-1, -4, 0, 2 ** 40]); break;
      case 2: t.shape = [30000, 30000]; t.stride = [0, 0]; break;
      case 3: t.offset = r.pick(INTERESTING); break;
      case 4: t.type = r.pick(['__proto__', 'constructor', 'UntypedStorage', 'valueOf']); break;
      case 5: t.key = 'missing'; break;
      case 6: opts.wrap = r.pick(['state_dict', 'selfref', 'deep']); opts.depth = r.pick([2, 3, 50]); break;
      case 7: t.stride = t.stride.slice(1); break;
      default: t.numelOverride = r.pick([-1, 2 ** 40, 0]); break;
    }
  }
  return opts;
}

export function generate(r, { legacy = r.chance(0.4) } = {}) {
  const tensors = plan(r);
  // Storages sized for the valid plan; the mutations then make the pickle lie about them.
  const storages = new Map(tensors.map((t) => [t.key, { t, data: Buffer.alloc(numelOf(t) * TYPES[t.type], 7) }]));
  const opts = r.chance(0.85) ? mutatePlan(tensors, r) : {};
  const pkl = r.chance(0.15) ? hostile(r) : stateDictPickle(tensors, opts);
  if (!legacy) {
    const entries = [{ name: 'archive/data.pkl', data: pkl }, ...[...storages].map(([k, { data }]) => ({ name: `archive/data/${k}`, data })), { name: 'archive/version', data: Buffer.from('3\n') }];
    return { files: [{ path: 'model.pth', data: zipBytes(entries) }], entry: 'model.pth' };
  }
  const magic = new Pickle().long(0x1950a86a20f9469cfc6cn).stop().bytes();
  const version = new Pickle().int(1001).stop().bytes();
  const sysInfo = new Pickle().op(0x7d).stop().bytes();
  const keys = new Pickle().op(0x5d, 0x28);
  for (const k of storages.keys()) keys.str(k);
  const parts = [magic, version, sysInfo, pkl, keys.op(0x65).stop().bytes()];
  for (const { t, data } of storages.values()) {
    const n = Buffer.alloc(8);
    n.writeBigInt64LE(BigInt(t.numelOverride ?? data.length / t.bytes));
    parts.push(n, data);
  }
  return { files: [{ path: 'model.pt', data: Buffer.concat(parts) }], entry: 'model.pt' };
}
