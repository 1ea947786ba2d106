#!/usr/bin/env node
// npm run docs: rewrites the generated tables of README.md and docs/*.md from bench/results/*.json (one place per number),
// then builds one site (site/) of the README, docs/ and the TypeDoc API reference. --tables-only skips TypeDoc.
// The suite (test/unit/docs.test.ts) checks the tables are current and every link resolves.
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fillGenerated } from '../bench/tables.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pages = (dir) => readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? pages(join(dir, f)) : f.endsWith('.md') ? [join(dir, f)] : []));
const readResults = (file) => JSON.parse(readFileSync(join(root, file), 'utf8'));
for (const page of [join(root, 'README.md'), ...pages(join(root, 'docs'))]) {
  const text = readFileSync(page, 'utf8');
  const filled = fillGenerated(text, readResults);
  if (filled !== text) {
    writeFileSync(page, filled);
    console.log(`tables regenerated: ${page.slice(root.length + 1)}`);
  }
}
if (!process.argv.includes('--tables-only')) {
  const typedoc = spawnSync(process.execPath, [join(root, 'node_modules', 'typedoc', 'bin', 'typedoc')], { cwd: root, stdio: 'inherit' });
  process.exit(typedoc.status ?? 1);
}
