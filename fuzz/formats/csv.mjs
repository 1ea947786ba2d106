// CSV manifests beside real images: quoting, field counts, labels, splits, patients leaking between
// splits, and paths that leave the manifest's folder (../../etc/passwd, absolute paths).
import sharp from 'sharp';

let pngs = null;
async function images() {
  pngs ??= await Promise.all(Array.from({ length: 8 }, (_, i) =>
    sharp(Buffer.alloc(16 * 16, i * 30), { raw: { width: 16, height: 16, channels: 1 } }).png().toBuffer()));
  return pngs;
}

export async function generate(r) {
  const files = (await images()).map((data, i) => ({ path: `imgs/${i}.png`, data }));
  const rows = files.map((f, i) => [f.path, i % 2 ? 'sick' : 'healthy', ['train', 'train', 'train', 'train', 'val', 'val', 'test', 'test'][i], `P${i}`]);
  let header = 'file,label,split,patient';
  for (let m = r.int(4) - 1; m >= 0; m--) {
    const row = r.pick(rows);
    switch (r.int(9)) {
      case 0: row[0] = r.pick(['../../etc/passwd', '/etc/passwd', '../imgs/0.png', 'imgs/../../x.png', '/proc/self/mem']); break;
      case 1: row[0] = r.pick(['imgs/missing.png', '', 'imgs', 'labels.csv']); break;
      case 2: row[1] = r.pick(['', 'cat', '"unterminated', 'a"b']); break;
      case 3: row[2] = r.pick(['training', 'TEST', '', 'x']); break;
      case 4: row[3] = 'P0'; break; // a patient in two splits
      case 5: row.push('extra'); break;
      case 6: header = r.pick(['', 'file', 'path,label', '\ufefffile,label,split,patient', 'file,label,split,patient,file']); break;
      case 7: rows.push(...Array.from({ length: 300 }, () => [...row])); break;
      default: row[0] = `"${row[0]}`; break;
    }
  }
  const eol = r.pick(['\n', '\r\n', '\r']);
  const text = [header, ...rows.map((c) => c.join(','))].join(eol);
  return { files: [...files, { path: 'labels.csv', data: Buffer.from(text) }], entry: 'labels.csv' };
}
