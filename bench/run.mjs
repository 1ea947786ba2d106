#!/usr/bin/env node
// npm run bench -- <name> [options]: benchmark scripts that measure on real data (long; not part of npm test).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const [name, ...args] = process.argv.slice(2);
const available = readdirSync(here).filter((f) => f.endsWith('.bench.mjs')).map((f) => f.replace('.bench.mjs', ''));
if (!name || !existsSync(join(here, `${name}.bench.mjs`))) {
  console.error(`usage: npm run bench -- <${available.join('|')}> [options]`);
  process.exit(2);
}
const result = spawnSync(process.execPath, [join(here, `${name}.bench.mjs`), ...args], { stdio: 'inherit' });
process.exit(result.status ?? 1);
