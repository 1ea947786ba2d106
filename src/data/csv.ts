// RFC 4180 CSV: quoted fields, doubled quotes, CRLF or LF line ends. The first row is the header.
import { TtlError } from '../errors.js';

export function parseCsv(text: string, where: string): { header: string[]; rows: Record<string, string>[] } {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') record.push(field), (field = '');
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      record.push(field);
      if (record.some((f) => f !== '')) records.push(record);
      (record = []), (field = '');
    } else field += c;
  }
  if (quoted) throw new TtlError('E_BAD_INPUT', `${where}: unterminated quoted field`);
  record.push(field);
  if (record.some((f) => f !== '')) records.push(record);
  if (!records.length) throw new TtlError('E_BAD_INPUT', `${where}: the file is empty`);
  const header = records[0].map((h) => h.trim());
  const rows = records.slice(1).map((r, n) => {
    if (r.length !== header.length)
      throw new TtlError('E_BAD_INPUT', `${where}: line ${n + 2} has ${r.length} fields, the header has ${header.length}`);
    return Object.fromEntries(header.map((h, j) => [h, r[j].trim()]));
  });
  return { header, rows };
}
