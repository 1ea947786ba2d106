// Prints bench/results/peers.json (npm run bench -- peers) as the Markdown tables the README shows:
//   node bench/peers-table.mjs [bench/results/peers.json]
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const file = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), 'results', 'peers.json');
const results = JSON.parse(readFileSync(file, 'utf8'));
const units = { step: 'images/s', infer: 'ms', epoch: 'images/s' };
const titles = {
  step: 'ResNet-50 training step, batch 16, 128 px, SGD',
  infer: 'batch-1 latency, ResNet-50 cut at k + linear head, 224 px',
  epoch: 'one FTL epoch, SqueezeNet 1.1 (ImageNet weights), 64 px, batch 32, default augmentation',
};
const { threads, rounds, waitPolicy, date } = results.machine;
console.log(`${threads} threads, medians of ${rounds} interleaved rounds, OMP_WAIT_POLICY: ${waitPolicy}, ${date.slice(0, 10)}\n`);
for (const section of ['step', 'infer', 'epoch']) {
  const cells = Object.keys(results[section] ?? {});
  if (!cells.length) continue;
  const contestants = Object.keys(results[section][cells[0]]);
  const ours = contestants.filter((c) => c.startsWith('ttl-torch'));
  console.log(`**${titles[section]}** (${units[section]}; in brackets: the LibTorch 2.x build's ratio, > 1 means ttl-torch is faster)\n`);
  console.log(`| contestant | ${cells.join(' | ')} |`);
  console.log(`|---|${cells.map(() => '---').join('|')}|`);
  for (const c of contestants) {
    const row = cells.map((cell) => {
      const value = results[section][cell][c].median.toFixed(section === 'infer' ? 1 : 1);
      if (ours.includes(c)) return value;
      const ratio = results.ratios.find((r) => r.section === section && r.cell === cell && r.ours === ours[ours.length - 1] && r.peer === c).ratio;
      return `${value} (${ratio.toFixed(2)}x)`;
    });
    console.log(`| ${c} | ${row.join(' | ')} |`);
  }
  console.log('');
}
