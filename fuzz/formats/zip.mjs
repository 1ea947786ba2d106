// A minimal ZIP writer (STORED or DEFLATE) whose directory fields can be overridden to lie.
import { crc32 } from 'node:zlib';
import { deflateRawSync } from 'node:zlib';

// The fields a local header and its central-directory entry share (method, CRC, sizes, name length), from `at`.
function writeShared(header, at, e, crc, body, name) {
  header.writeUInt16LE(e.deflate ? 8 : 0, at);
  header.writeUInt32LE(crc, at + 6);
  header.writeUInt32LE(e.declaredCompressed ?? body.length, at + 10);
  header.writeUInt32LE(e.declaredSize ?? e.data.length, at + 14);
  header.writeUInt16LE(name.length, at + 18);
}

/** entries: [{ name, data, deflate?, compressed? (a ready DEFLATE body), declaredSize?, declaredCompressed? }] */
export function zipBytes(entries) {
  const locals = [];
  const central = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name);
    const body = e.compressed ?? (e.deflate ? deflateRawSync(e.data) : Buffer.from(e.data));
    const crc = crc32Of(e.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    writeShared(local, 8, e, crc, body, name);
    const dir = Buffer.alloc(46);
    dir.writeUInt32LE(0x02014b50, 0);
    dir.writeUInt16LE(20, 4);
    dir.writeUInt16LE(20, 6);
    writeShared(dir, 10, e, crc, body, name);
    dir.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    central.push(dir, name);
    offset += 30 + name.length + body.length;
  }
  const cd = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

function crc32Of(data) {
  return typeof crc32 === 'function' ? crc32(data) >>> 0 : 0;
}
