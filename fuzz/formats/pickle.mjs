// A tiny pickle writer (protocol 2 opcodes) for torch.save-like state dicts and for hostile streams.
export class Pickle {
  parts = [Buffer.from([0x80, 2])];
  op(...bytes) { this.parts.push(Buffer.from(bytes)); return this; }
  raw(buf) { this.parts.push(Buffer.from(buf)); return this; }
  str(s) {
    const b = Buffer.from(s);
    if (b.length < 256) return this.op(0x8c, b.length).raw(b);
    const len = Buffer.alloc(4);
    len.writeUInt32LE(b.length);
    return this.op(0x58).raw(len).raw(b);
  }
  int(n) {
    if (typeof n === 'bigint' || !Number.isSafeInteger(n) || n < -(2 ** 31) || n >= 2 ** 31) return this.long(BigInt(n));
    if (n >= 0 && n < 256) return this.op(0x4b, n);
    const b = Buffer.alloc(4);
    b.writeInt32LE(n);
    return this.op(0x4a).raw(b);
  }
  long(v) {
    const bytes = [];
    let x = BigInt.asUintN(128, v);
    for (let i = 0; i < 16; i++) (bytes.push(Number(x & 0xffn)), (x >>= 8n));
    return this.op(0x8a, 16, ...bytes);
  }
  global(module, name) { return this.op(0x63).raw(`${module}\n${name}\n`); }
  tuple(items) { this.op(0x28); for (const i of items) this.int(i); return this.op(0x74); }
  stop() { return this.op(0x2e); }
  bytes() { return Buffer.concat(this.parts); }
}

/**
 * A state dict pickle: tensors [{ name, type, key, offset, shape, stride }]; wrap 'plain' | 'state_dict' |
 * 'selfref' (a dict holding itself under state_dict) | 'deep' (tensors under many nested dicts).
 */
export function stateDictPickle(tensors, { wrap = 'plain', depth = 1 } = {}) {
  const p = new Pickle();
  if (wrap === 'state_dict' || wrap === 'deep') for (let d = 0; d < (wrap === 'deep' ? depth : 1); d++) p.op(0x7d).str('state_dict');
  if (wrap === 'selfref') p.op(0x7d).op(0x71, 0).str('state_dict').op(0x68, 0).op(0x73); // {} memo0; d['state_dict'] = d
  else {
    p.global('collections', 'OrderedDict').op(0x29, 0x52); // OrderedDict()
    for (const t of tensors) {
      p.str(t.name);
      p.global('torch._utils', '_rebuild_tensor_v2');
      p.op(0x28); // args tuple
      p.op(0x28).str('storage').global('torch', t.type).str(t.key).str('cpu').int(t.numel ?? 0).op(0x74).op(0x51); // persistent id
      p.int(t.offset).tuple(t.shape).tuple(t.stride).op(0x89).global('collections', 'OrderedDict').op(0x29, 0x52);
      p.op(0x74, 0x52); // tuple, REDUCE
      p.op(0x73); // SETITEM
    }
  }
  if (wrap === 'state_dict' || wrap === 'deep') for (let d = 0; d < (wrap === 'deep' ? depth : 1); d++) p.op(0x73);
  return p.stop().bytes();
}
