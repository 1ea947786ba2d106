// npm run bench -- build [--top 15] [--keep-cache]
// A cold `npm run build:native` timed end to end, then each compile step from Ninja's own log
// (build/.ninja_log: start and end in ms per output), slowest first. Cold means no build/ and, unless
// --keep-cache, no ccache hits (CCACHE_DISABLE=1), so the number is what a first install pays.
// cmake-js picks the Ninja generator whenever `ninja` is on PATH (Debian: ninja-build); without it
// there is no per-step log and only the total is printed.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { top: { type: 'string', default: '15' }, 'keep-cache': { type: 'boolean', default: false } } });

rmSync(join(root, 'build'), { recursive: true, force: true });
const env = { ...process.env };
if (!values['keep-cache']) env.CCACHE_DISABLE = '1';
const start = performance.now();
const r = spawnSync(process.execPath, [join(root, 'scripts', 'build-native.mjs'), '--force'], { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] });
const total = (performance.now() - start) / 1000;
if (r.status !== 0) {
  process.stdout.write(r.stdout);
  process.exit(r.status ?? 1);
}

const log = join(root, 'build', '.ninja_log');
const steps = [];
if (existsSync(log)) {
  // "# ninja log v5" then: start_ms end_ms mtime output hash; a step with several outputs repeats its line.
  const seen = new Set();
  for (const line of readFileSync(log, 'utf8').split('\n').slice(1)) {
    const [s, e, , output] = line.split('\t');
    if (!output || seen.has(`${s}:${e}`)) continue;
    seen.add(`${s}:${e}`);
    steps.push({ output, seconds: (Number(e) - Number(s)) / 1000 });
  }
}
const compile = steps.filter((s) => s.output.endsWith('.o')).reduce((a, s) => a + s.seconds, 0);
const pch = steps.filter((s) => s.output.endsWith('.gch')).reduce((a, s) => a + s.seconds, 0);
console.log(`cold build:native ${total.toFixed(1)} s wall (${steps.length} ninja steps; CPU-seconds: compile ${compile.toFixed(1)}, PCH ${pch.toFixed(1)})`);
for (const s of steps.sort((a, b) => b.seconds - a.seconds).slice(0, Number(values.top)))
  console.log(`  ${s.seconds.toFixed(1).padStart(6)} s  ${s.output.replace(/^CMakeFiles\//, '')}`);
