// Prints bench/results/peers.json (npm run bench -- peers) as the Markdown tables docs/benchmarks.md shows:
//   node bench/peers-table.mjs [bench/results/peers.json]
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TABLES } from './tables.mjs';

const file = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), 'results', 'peers.json');
console.log(TABLES.peers(JSON.parse(readFileSync(file, 'utf8'))));
