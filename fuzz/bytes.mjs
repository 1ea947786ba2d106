// Format-blind mutations applied after the structure-aware ones (AFL-style havoc on the serialised file).
import { INTERESTING } from './rng.mjs';

export function havoc(buf, r, rounds = 1 + r.int(4)) {
  let b = Buffer.from(buf);
  for (let i = 0; i < rounds && b.length; i++) {
    const at = r.int(b.length);
    switch (r.int(7)) {
      case 0: b[at] ^= 1 << r.int(8); break;
      case 1: b[at] = r.pick([0, 0xff, 0x7f, 0x80, 0x0a, 0x22]); break;
      case 2: b = b.subarray(0, at); break; // truncate
      case 3: b = Buffer.concat([b, Buffer.from(Array.from({ length: 1 + r.int(64) }, () => r.int(256)))]); break;
      case 4: { // write an interesting 32-bit integer
        if (at + 4 <= b.length) b.writeInt32LE(Number(BigInt.asIntN(32, BigInt(r.pick(INTERESTING)))), at);
        break;
      }
      case 5: { // duplicate a chunk
        const len = 1 + r.int(Math.min(256, b.length - at));
        b = Buffer.concat([b.subarray(0, at), b.subarray(at, at + len), b.subarray(at)]);
        break;
      }
      default: { // delete a chunk
        const len = 1 + r.int(Math.min(256, b.length - at));
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + len)]);
      }
    }
  }
  return b;
}
