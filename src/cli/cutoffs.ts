import { cutoffTable } from '../cutoff/table.js';
import { integerIn } from '../validate.js';
import { giga, integerArg, millions, renderTable } from './table.js';

export async function cutoffsCommand(model: string, options: { input: string; classes: string; json?: boolean }): Promise<void> {
  const imageSize = integerIn('--input', integerArg(options.input), 16, 4096);
  const numClasses = integerIn('--classes', integerArg(options.classes), 1, 100000);
  const rows = await cutoffTable(model, { imageSize, numClasses, device: 'cpu' });
  if (options.json) {
    process.stdout.write(JSON.stringify({ model, imageSize, numClasses, cutoffs: rows }, null, 2) + '\n');
    return;
  }
  process.stdout.write(`${model} at ${imageSize}x${imageSize}, TTL head with ${numClasses} classes (* = block boundary)\n\n`);
  const table = renderTable(
    ['k', 'unit', 'block', 'output', 'P(M)', 'MACs(G)', 'TTL P(M)', 'TTL MACs(G)'],
    rows.map((r) => [r.k, r.unit + (r.blockEnd ? ' *' : ''), r.block, r.outShape.join('x'), millions(r.params), giga(r.macs), millions(r.ttlParams), giga(r.ttlMacs)]),
  );
  process.stdout.write(table + '\n');
}
