#!/usr/bin/env node
// npm run fuzz [-- --cases N --seed S --formats a,b --concurrency C]: a fuzz campaign over every reader of
// untrusted input. Prints outcomes per format; saves each crash, hang or memory case (minimised) under
// fuzz/out/ to be added to test/fuzz-corpus/ once fixed. Exit status 1 when any case failed.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { campaign, makeCase, writeCase } from './campaign.mjs';
import { FORMATS } from './formats/index.mjs';
import { minimise } from './minimise.mjs';

const { values } = parseArgs({ options: {
  cases: { type: 'string', default: '100' }, seed: { type: 'string', default: String(Date.now() % 100000) },
  formats: { type: 'string', default: Object.keys(FORMATS).join(',') }, concurrency: { type: 'string', default: '2' },
  out: { type: 'string', default: 'fuzz/out' },
} });
const seed = Number(values.seed);
const formats = values.formats.split(',');
const start = performance.now();
let done = 0;
const total = Number(values.cases) * formats.length;
const results = await campaign({
  formats, seed, count: Number(values.cases), concurrency: Number(values.concurrency),
  onResult: (r) => {
    done++;
    if (!['success', 'clean'].includes(r.outcome)) console.log(`${r.outcome.toUpperCase()} ${r.format} #${r.index}: ${r.why ?? ''} ${r.message ?? ''}`);
    if (done % 100 === 0) console.log(`${done}/${total} cases`);
  },
});
const seconds = (performance.now() - start) / 1000;
const classes = ['success', 'clean', 'crash', 'hang', 'memory'];
console.log(`\nseed ${seed}: ${results.length} cases in ${seconds.toFixed(0)} s\n`);
console.log(`| format | ${classes.join(' | ')} | slowest ms | max RSS MB |`);
console.log(`|---|${classes.map(() => '---').join('|')}|---|---|`);
for (const f of [...formats, 'all']) {
  const rows = results.filter((r) => f === 'all' || r.format === f);
  console.log(`| ${f} | ${classes.map((c) => rows.filter((r) => r.outcome === c).length).join(' | ')} | ${Math.max(...rows.map((r) => r.ms))} | ${Math.max(...rows.map((r) => r.maxRssMb ?? 0))} |`);
}
const failed = results.filter((r) => !['success', 'clean'].includes(r.outcome));
for (const r of failed) {
  const c = await makeCase(r.format, r.seed, r.index);
  const small = await minimise(r.format, c, r.outcome);
  const dir = join(values.out, `${r.format}-s${r.seed}-${r.index}`);
  mkdirSync(dir, { recursive: true });
  writeCase(small, dir);
  writeFileSync(join(dir, 'case.json'), JSON.stringify({ format: r.format, entry: small.entry, found: r.outcome, why: r.why ?? r.message }, null, 2) + '\n');
  console.log(`saved ${dir}`);
}
process.exit(failed.length ? 1 : 0);
