// npm run bench -- distributed [--epochs 2] [--size 64] [--search all] [--steps 30] [--model resnet18] [--parts search,ddp] [--rounds 3]
// Two ways to use two cores, side by side in one run:
//  1. a cutoff search (SqueezeNet 1.1, ImageNet weights, BreastMNIST): `--workers 2` (2 processes x 1 thread,
//     trials in parallel over a c10d store) against one process with 2 threads; wall time ratio, and whether
//     both journaled the same trials with the same metrics.
//  2. one data-parallel training step loop: 2 ranks x 1 thread (Gloo all-reduce of the gradients, global batch
//     split in two) against 1 rank x 2 threads, images/s ratio; and among 2-rank runs, the gradient all-reduce
//     after backward against overlapped with it, and SyncBatchNorm against local statistics (variants
//     interleaved over --rounds rounds, medians).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const shared = resolve(here, '..', '..', 'shared');
const cli = join(here, '..', 'dist', 'cli', 'main.js');
const { values } = parseArgs({
  options: {
    epochs: { type: 'string', default: '2' },
    size: { type: 'string', default: '64' },
    steps: { type: 'string', default: '30' },
    batch: { type: 'string', default: '32' },
    model: { type: 'string', default: 'resnet18' },
    search: { type: 'string', default: 'all' },
    parts: { type: 'string', default: 'search,ddp' },
    rounds: { type: 'string', default: '3' },
    // internal: one rank of part 2
    rank: { type: 'string' },
    world: { type: 'string' },
    port: { type: 'string' },
    overlap: { type: 'boolean', default: false },
    'sync-bn': { type: 'boolean', default: false },
  },
});

if (values.rank !== undefined) {
  await stepRank(Number(values.rank), Number(values.world), Number(values.port));
  process.exit(0);
}

const env = (threads) => ({ ...process.env, TTL_TORCH_MIRROR: shared, TTL_TORCH_OFFLINE: '1', TTL_TORCH_THREADS: String(threads) });
const trials = (dir) => readFileSync(join(dir, 'journal.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((r) => r.type === 'trial');

// 1. Trial-parallel block search.
function benchSearch() {
  const search = ['run', '--data', 'breastmnist', '--model', 'squeezenet1_1', '--weights', 'imagenet', '--image-size', values.size,
    '--batch-size', '32', '--epochs', values.epochs, '--strategies', 'ftl,ttl', '--search', values.search, '--analyses', 'none'];
  const timed = (args, threads) => {
    const out = mkdtempSync(join(tmpdir(), 'ttl-bench-dist-'));
    const start = performance.now();
    const r = spawnSync(process.execPath, [cli, ...search, ...args, '--out', out], { env: env(threads), encoding: 'utf8' });
    const seconds = (performance.now() - start) / 1000;
    if (r.status !== 0) throw new Error(`run ${args.join(' ')} failed:\n${r.stderr}`);
    const records = trials(out);
    rmSync(out, { recursive: true, force: true });
    return { seconds, records };
  };
  console.log(`search: squeezenet1_1 on BreastMNIST, ${values.size}px, ${values.epochs} epochs, ftl + ttl (search ${values.search})`);
  const single = timed([], 2);
  const pair = timed(['--workers', '2'], 2);
  const byId = new Map(single.records.map((r) => [r.id, r]));
  let worst = 0;
  for (const r of pair.records) for (const split of ['val', 'test']) worst = Math.max(worst, Math.abs(r[split].auroc - byId.get(r.id)[split].auroc));
  const sameIds = pair.records.length === single.records.length && pair.records.every((r) => byId.has(r.id));
  console.log(`  1 worker x 2 threads: ${single.seconds.toFixed(1)} s for ${single.records.length} trials`);
  console.log(`  2 workers x 1 thread: ${pair.seconds.toFixed(1)} s for ${pair.records.length} trials`);
  console.log(`  wall ratio (1x2 / 2x1): ${(single.seconds / pair.seconds).toFixed(2)}; same trials: ${sameIds}; max |AUROC difference| ${worst.toExponential(2)} (threads change summation order)`);
}

// 2. Data-parallel training steps.
async function freePort() {
  const server = createServer();
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  await new Promise((r) => server.close(r));
  return port;
}
const ranks = async (world, threads, flags = []) => {
  const port = await freePort();
  const outputs = await Promise.all(Array.from({ length: world }, (_, rank) => new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--rank', String(rank), '--world', String(world), '--port', String(port),
      '--steps', values.steps, '--batch', values.batch, '--size', values.size, '--model', values.model, ...flags], { env: env(threads) });
    let text = '';
    child.stdout.on('data', (d) => (text += d));
    child.stderr.on('data', (d) => process.stderr.write(d));
    child.once('exit', (code) => (code === 0 ? resolvePromise(JSON.parse(text)) : reject(new Error(`rank ${rank} exited ${code}`))));
  })));
  return outputs[0].imagesPerSecond;
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function benchSteps() {
  console.log(`data-parallel steps: ${values.model}, ${values.size}px, global batch ${values.batch}, ${values.steps} timed steps, ${values.rounds} rounds (medians)`);
  const variants = {
    '1 rank x 2 threads': () => ranks(1, 2),
    '2 ranks x 1 thread, all-reduce after backward': () => ranks(2, 1),
    '2 ranks x 1 thread, all-reduce overlapped with backward': () => ranks(2, 1, ['--overlap']),
    '2 ranks x 1 thread, after backward, SyncBatchNorm': () => ranks(2, 1, ['--sync-bn']),
  };
  const rates = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (let round = 0; round < Number(values.rounds); round++)
    for (const [name, run] of Object.entries(variants)) rates[name].push(await run());
  const m = Object.fromEntries(Object.entries(rates).map(([k, xs]) => [k, median(xs)]));
  for (const [name, xs] of Object.entries(rates)) console.log(`  ${name}: ${m[name].toFixed(1)} img/s (${xs.map((x) => x.toFixed(1)).join(', ')})`);
  const [one, after, overlapped, synced] = Object.values(m);
  console.log(`  ratio (2 ranks / 1 rank, after backward): ${(after / one).toFixed(2)}`);
  console.log(`  ratio (overlapped / after backward): ${(overlapped / after).toFixed(2)}`);
  console.log(`  ratio (SyncBatchNorm / local statistics): ${(synced / after).toFixed(2)}`);
}

const parts = values.parts.split(',');
if (parts.includes('search')) benchSearch();
if (parts.includes('ddp')) await benchSteps();

async function stepRank(rank, world, port) {
  const { createModel } = await import('../dist/index.js');
  const { KeyStore, ProcessGroup, makeDataParallel } = await import('../dist/parallel/index.js');
  const size = Number(values.size);
  const b = Number(values.batch) / world;
  const x = new Float32Array(b * 3 * size * size).map(() => Math.random());
  const y = Int32Array.from({ length: b }, (_, i) => i % 2);
  const model = await createModel({ model: values.model, head: 'linear', numClasses: 2, device: 'cpu' });
  let store;
  if (world > 1) {
    store = await KeyStore.open({ host: '127.0.0.1', port, isServer: rank === 0, timeoutMs: 60_000 });
    await makeDataParallel(model, await ProcessGroup.join(store, { name: 'bench', rank, worldSize: world, hostname: '127.0.0.1' }),
      { overlap: values.overlap, syncBatchNorm: values['sync-bn'] });
  }
  for (let i = 0; i < 3; i++) await model.trainStep(x, [b, 3, size, size], y, { lr: 0.001 });
  const start = performance.now();
  for (let i = 0; i < Number(values.steps); i++) await model.trainStep(x, [b, 3, size, size], y, { lr: 0.001 });
  const seconds = (performance.now() - start) / 1000;
  process.stdout.write(JSON.stringify({ imagesPerSecond: (Number(values.steps) * Number(values.batch)) / seconds }) + '\n');
  model.dispose();
  store?.close();
}
