// c10d over 127.0.0.1: the store, a worker that cannot reach its master, a data-parallel step against one
// process with the whole batch, a data-parallel run, and trial-parallel runs (same answer as one process, a killed worker's
// trial requeued, a mismatched worker refused). Every child process is killed in afterEach.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { checkDevices, deviceOfRank, parseDevices } from '../../src/parallel/devices.js';
import { createModel, finetune, runtimeInfo, type FinetuneOptions } from '../../src/index.js';
import { KeyStore, ProcessGroup, makeDataParallel } from '../../src/parallel/index.js';
import { root, shared, testCacheDir } from '../support/helpers.js';

const cli = join(root, 'dist', 'cli', 'main.js');
const env = { ...process.env, TTL_TORCH_MIRROR: shared, TTL_TORCH_OFFLINE: '1', TTL_TORCH_CACHE: testCacheDir, TTL_TORCH_THREADS: '1' };
const tiny = ['--data', 'breastmnist', '--model', 'squeezenet1_1', '--weights', 'imagenet', '--image-size', '32', '--batch-size', '32', '--analyses', 'none'];
const children: ChildProcess[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const tempDir = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
};

/** A port nobody listens on right now (bound, read, released). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a child to its end (killed after `timeoutMs`); `onStdout` sees the output as it grows. */
function start(args: string[], timeoutMs: number, onStdout?: (text: string, child: ChildProcess) => void): { child: ChildProcess; done: Promise<Exit> } {
  const child = spawn(process.execPath, args, { env });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => {
    stdout += d;
    onStdout?.(stdout, child);
  });
  child.stderr!.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise<Exit>((resolve) => child.once('exit', (code) => {
    clearTimeout(timer);
    resolve({ code, stdout, stderr });
  }));
  return { child, done };
}

const trials = (dir: string) => readFileSync(join(dir, 'journal.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((r) => r.type === 'trial');

describe('c10d store', () => {
  it('serves counters, values and bounded waits on 127.0.0.1', async () => {
    const server = await KeyStore.open({ host: '127.0.0.1', port: 0, isServer: true, timeoutMs: 5000 });
    const client = await KeyStore.open({ host: '127.0.0.1', port: server.port, timeoutMs: 5000 });
    try {
      expect(client.address).toBe(`127.0.0.1:${server.port}`);
      expect(await client.add('tickets', 1)).toBe(1);
      expect(await server.add('tickets', 1)).toBe(2);
      await server.setJson('spec', { id: 'ttl-k4-s0' });
      expect(await client.getJson('spec')).toEqual({ id: 'ttl-k4-s0' });
      const t0 = performance.now();
      expect(await client.wait(['late'], 300)).toBe(false);
      expect(performance.now() - t0).toBeLessThan(3000);
      // The key appears after the wait gave up: the connection still answers in step (LibTorch 1.13's own
      // timed wait would leave the server's late answer in the socket).
      await server.set('late', 'x');
      expect(await client.add('tickets', 0)).toBe(2);
      expect(new TextDecoder().decode(await client.get('late'))).toBe('x');
      expect(await client.has('spec')).toBe(true);
      expect(await client.delete('spec')).toBe(true);
      expect(await client.has('spec')).toBe(false);
    } finally {
      client.close();
      server.close();
    }
  });

  it('a worker that cannot reach the master fails within its timeout, naming the address', async () => {
    const port = await freePort();
    const t0 = performance.now();
    const error = await KeyStore.open({ host: '127.0.0.1', port, timeoutMs: 2000 }).catch((e) => e);
    expect(error.code).toBe('E_DIST_UNREACHABLE');
    expect(error.message).toContain(`127.0.0.1:${port}`);
    expect(performance.now() - t0).toBeLessThan(15_000);

    const worker = await start([cli, 'run', ...tiny, '--out', tempDir('ttl-dist-lonely-'), '--world-size', '2', '--rank', '1',
      '--master', `127.0.0.1:${port}`, '--connect-timeout', '2'], 60_000).done;
    expect(worker.code).not.toBe(0);
    expect(worker.stderr).toContain(`cannot reach the c10d store (the master) at 127.0.0.1:${port}`);
  });
});

interface StepResult {
  loss: number;
  state: Record<string, { dtype: string; data: string }>;
}

/** One SGD step of test/dist-ddp-step.mjs on 2 ranks (batch 4 each) and on 1 process (batch 8). */
async function ddpStep(model: string, { syncBatchNorm = false, overlap = false, lr = 0.05 } = {}): Promise<{ ranks: StepResult[]; single: StepResult }> {
  const helper = join(root, 'test', 'support', 'dist-ddp-step.mjs');
  const port = await freePort();
  const flags = [syncBatchNorm ? '1' : '0', overlap ? '1' : '0', String(lr)];
  const exits = await Promise.all([
    start([helper, '0', '2', String(port), '8', model, ...flags], 90_000).done,
    start([helper, '1', '2', String(port), '8', model, ...flags], 90_000).done,
    start([helper, '0', '1', '0', '8', model, '0', '0', String(lr)], 90_000).done,
  ]);
  for (const r of exits) expect(r.code, r.stderr).toBe(0);
  const [r0, r1, single] = exits.map((r) => JSON.parse(r.stdout) as StepResult);
  return { ranks: [r0, r1], single };
}

function values(entry: { dtype: string; data: string }): number[] {
  const bytes = Buffer.from(entry.data, 'base64');
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length);
  return entry.dtype === 'I64' ? [...new BigInt64Array(buffer)].map(Number) : [...new Float32Array(buffer)];
}

/** Largest |a - b| over the tensors whose names pass `pick` (and how many there were). */
function maxDiff(a: StepResult, b: StepResult, pick: (name: string) => boolean): { diff: number; tensors: number } {
  let diff = 0;
  const names = Object.keys(b.state).filter(pick);
  for (const name of names) {
    const [x, y] = [values(a.state[name]), values(b.state[name])];
    expect(x.length).toBe(y.length);
    for (let i = 0; i < y.length; i++) diff = Math.max(diff, Math.abs(x[i] - y[i]));
  }
  return { diff, tensors: names.length };
}

const runningStats = (name: string) => name.endsWith('running_mean') || name.endsWith('running_var');
const parameters = (name: string) => !runningStats(name) && !name.endsWith('num_batches_tracked');

describe('data-parallel step', () => {
  it('2 ranks with batch 4 each reach the parameters of 1 process with batch 8 (to 1e-5)', async () => {
    // squeezenet1_1's only batch norm is its head's (synchronised here) and the linear head has no dropout: the
    // only difference is summation order.
    const { ranks: [a, b], single } = await ddpStep('squeezenet1_1', { syncBatchNorm: true });
    const params = maxDiff(a, single, parameters);
    expect(params.tensors).toBeGreaterThan(10);
    // Rank 1 started from other random weights (seed 8): after the broadcast and one averaged step both ranks
    // hold the same weights, and they are the whole-batch step's (a rank that stepped on its own half-batch
    // gradient alone would be off by lr x the gradient difference, ~1e-3 here).
    expect(maxDiff(a, b, () => true).diff).toBe(0);
    expect(params.diff).toBeLessThan(1e-5);
    expect((a.loss + b.loss) / 2).toBeCloseTo(single.loss, 5);
    console.log(`DDP vs one process: max |diff| ${params.diff.toExponential(2)} over ${params.tensors} tensors`);
  });

  // The property SyncBatchNorm exists for: batch norms in training mode see the statistics of the global batch.
  it.each(['resnet18', 'resnet3d_18'])('%s: with SyncBatchNorm 2 ranks x 4 reach the parameters and running statistics of 1 process x 8; without, they do not', async (model) => {
    const [synced, local] = [await ddpStep(model, { syncBatchNorm: true }), await ddpStep(model)];
    const [a, b] = synced.ranks;
    expect(maxDiff(a, b, () => true).diff).toBe(0);
    const params = maxDiff(a, synced.single, parameters);
    const stats = maxDiff(a, synced.single, runningStats);
    expect(stats.tensors).toBeGreaterThanOrEqual(10);
    expect(params.diff).toBeLessThan(1e-5);
    expect(stats.diff).toBeLessThan(1e-5);
    expect(maxDiff(a, synced.single, (n) => n.endsWith('num_batches_tracked')).diff).toBe(0);
    // Local statistics (DDP's default): each rank normalises its own half, so both differ from one process.
    const [localParams, localStats] = [maxDiff(local.ranks[0], local.single, parameters), maxDiff(local.ranks[0], local.single, runningStats)];
    expect(localStats.diff).toBeGreaterThan(1e-3);
    expect(localParams.diff).toBeGreaterThan(1e-4);
    console.log(`${model} vs one process: SyncBatchNorm params ${params.diff.toExponential(2)}, running stats ${stats.diff.toExponential(2)}; ` +
      `local BN params ${localParams.diff.toExponential(2)}, running stats ${localStats.diff.toExponential(2)}`);
  });
});

describe('overlapped gradient all-reduce', () => {
  it('gives the gradients of the after-backward all-reduce (to 1e-6), with local and with synchronised batch norms', async () => {
    // lr 1 and no momentum: the step moves each parameter by exactly its averaged gradient, so parameters
    // that agree to 1e-6 mean gradients that do.
    for (const syncBatchNorm of [false, true]) {
      const [after, overlapped] = [await ddpStep('resnet18', { syncBatchNorm, lr: 1 }), await ddpStep('resnet18', { syncBatchNorm, overlap: true, lr: 1 })];
      // Equal ranks: both stepped on the same (averaged) gradient, not on their own halves' (local batch norm
      // statistics differ between the ranks by design).
      expect(maxDiff(overlapped.ranks[0], overlapped.ranks[1], parameters).diff).toBe(0);
      const diff = maxDiff(overlapped.ranks[0], after.ranks[0], () => true);
      expect(diff.tensors).toBeGreaterThan(30);
      expect(diff.diff).toBeLessThan(1e-6);
      console.log(`overlapped vs after-backward all-reduce${syncBatchNorm ? ' with SyncBatchNorm' : ''}: max |diff| ${diff.diff.toExponential(2)}`);
    }
  });
});

describe('data-parallel segmentation evaluation', () => {
  it('2 ranks each evaluate half of the images and both get every per-image score, in order, as 1 process does', async () => {
    const helper = join(root, 'test', 'support', 'dist-segment-eval.mjs');
    const port = await freePort();
    const exits = await Promise.all([
      start([helper, '0', '2', String(port)], 90_000).done,
      start([helper, '1', '2', String(port)], 90_000).done,
      start([helper, '0', '1', '0'], 90_000).done,
    ]);
    for (const r of exits) expect(r.code, r.stderr).toBe(0);
    const [a, b, single] = exits.map((r) => JSON.parse(r.stdout) as { dice: number[]; jaccard: number[]; loss: number });
    expect(single.dice).toHaveLength(10);
    // Distinct scores, so that rows gathered out of order would show.
    expect(new Set(single.dice.map((d) => d.toFixed(6))).size).toBeGreaterThan(5);
    for (const r of [a, b]) {
      expect(r.dice.length).toBe(10);
      r.dice.forEach((d, i) => expect(d).toBeCloseTo(single.dice[i], 6));
      r.jaccard.forEach((j, i) => expect(j).toBeCloseTo(single.jaccard[i], 6));
      expect(r.loss).toBeCloseTo(single.loss, 6);
    }
  });
});

describe('data-parallel run', () => {
  it('--ddp without other ranks is refused before anything trains', async () => {
    const lonely = await start([cli, 'run', ...tiny, '--out', tempDir('ttl-ddp-alone-'), '--ddp'], 60_000).done;
    expect(lonely.code).not.toBe(0);
    expect(lonely.stderr).toContain('--ddp trains a trial on several processes: add --workers N (N >= 2)');
  });

  it('--workers 2 --ddp trains each trial on both ranks and reaches the test AUROC of one process', async () => {
    const args = [...tiny, '--epochs', '3', '--strategies', 'ttl', '--search', 'k=4'];
    const one = tempDir('ttl-ddp-one-');
    const two = tempDir('ttl-ddp-two-');
    const single = await start([cli, 'run', ...args, '--out', one], 120_000).done;
    expect(single.code, single.stderr).toBe(0);
    const pair = await start([cli, 'run', ...args, '--out', two, '--workers', '2', '--ddp'], 120_000).done;
    expect(pair.code, pair.stderr).toBe(0);
    expect(pair.stdout).toContain('data-parallel trials');
    expect(pair.stdout).toContain('rank 1 of 2: joined the run');
    const [a] = trials(one);
    const b = trials(two);
    expect(b.map((r) => r.id)).toEqual(['ttl-k4-s0']);
    // Not bit-identical: each rank draws its own augmentation for its half of every batch. Within noise:
    // the 156-image test split's AUROC has a 95% interval about 0.18 wide; 0.05 is well inside it.
    expect(Math.abs(b[0].test.auroc - a.test.auroc)).toBeLessThan(0.05);
    console.log(`test AUROC: 1 process ${a.test.auroc.toFixed(4)}, 2 ranks data-parallel ${b[0].test.auroc.toFixed(4)}`);
    expect(readFileSync(join(two, 'trials', 'ttl-k4-s0', 'best.safetensors')).length).toBeGreaterThan(1000);
  });

  it('--sync-bn needs --ddp; --workers 2 --ddp --sync-bn trains a batch-norm network end to end', async () => {
    const args = ['--data', 'breastmnist', '--model', 'resnet18', '--weights', 'none', '--image-size', '32', '--batch-size', '32',
      '--analyses', 'none', '--epochs', '1', '--strategies', 'ttl', '--search', 'k=3'];
    const alone = await start([cli, 'run', ...args, '--out', tempDir('ttl-syncbn-alone-'), '--workers', '2', '--sync-bn'], 60_000).done;
    expect(alone.code).not.toBe(0);
    expect(alone.stderr).toContain('--sync-bn shares batch statistics between the ranks of a data-parallel trial: add --ddp');
    const dir = tempDir('ttl-syncbn-');
    const pair = await start([cli, 'run', ...args, '--out', dir, '--workers', '2', '--ddp', '--sync-bn'], 120_000).done;
    expect(pair.code, pair.stderr).toBe(0);
    expect(pair.stdout).toContain('data-parallel trials with SyncBatchNorm');
    const [trial] = trials(dir);
    expect(trial.status).toBe('ok');
    expect(trial.test.auroc).toBeGreaterThan(0);
    console.log(`resnet18 from scratch, 1 epoch, 2 ranks with SyncBatchNorm: test AUROC ${trial.test.auroc.toFixed(4)}`);
  });

  it('the API refuses syncBatchNorm that is not a boolean, or without a group', async () => {
    const model = await createModel({ model: 'squeezenet1_1', cutoff: 2, head: 'linear', numClasses: 2, device: 'cpu' });
    try {
      const store = await KeyStore.open({ host: '127.0.0.1', port: 0, isServer: true, timeoutMs: 5000 });
      const group = await ProcessGroup.join(store, { name: 'alone', rank: 0, worldSize: 1, hostname: '127.0.0.1', timeoutMs: 5000 });
      await expect(makeDataParallel(model, group, { syncBatchNorm: 'yes' as unknown as boolean }))
        .rejects.toThrow("Expected a boolean for syncBatchNorm but received 'yes' of type string");
      store.close();
    } finally {
      model.dispose();
    }
    await expect(finetune({ model: 'squeezenet1_1', strategy: { kind: 'ttl', cutoff: 2 }, data: 'breastmnist', syncBatchNorm: true } as FinetuneOptions))
      .rejects.toThrow('syncBatchNorm shares batch statistics between the ranks of a group: pass group too');
  });
});

describe('--devices', () => {
  it('is refused before any work when malformed, not dividing the workers, or naming a device LibTorch lacks', async () => {
    const refusal = async (...flags: string[]) => {
      const r = await start([cli, 'run', ...tiny, '--out', tempDir('ttl-devices-'), ...flags], 60_000).done;
      expect(r.code).not.toBe(0);
      expect(r.stdout).not.toContain('c10d store at');
      return r.stderr;
    };
    expect(await refusal('--workers', '2', '--devices', 'cpu,gpu'))
      .toContain("Expected a comma-separated list of 'cpu' or 'cuda:I' (I a device index) for --devices but received 'gpu' of type string");
    expect(await refusal('--workers', '3', '--devices', 'cpu,cpu'))
      .toContain('--devices lists 2 devices for 3 workers: give one per worker, or a number of devices that divides the workers');
    const info = await runtimeInfo();
    if (!info.cudaAvailable) expect(await refusal('--workers', '2', '--devices', 'cuda:0,cuda:1')).toContain("--devices: 'cuda:0' needs CUDA, which this LibTorch");
    // The device count is checked too (a machine with CUDA but fewer GPUs than listed), named in the refusal.
    expect(() => checkDevices(['cuda:0', 'cuda:2'], { cudaAvailable: true, cudaDevices: 2, libtorch: info.libtorch }))
      .toThrow("--devices: 'cuda:2' does not exist: this machine has 2 CUDA device(s) (cuda:0..cuda:1)");
    expect([0, 1, 2, 3].map((r) => deviceOfRank(parseDevices('cuda:0,cuda:1', 4), r))).toEqual(['cuda:0', 'cuda:1', 'cuda:0', 'cuda:1']);
  });
});

describe('trial-parallel run', () => {
  const search = ['--epochs', '1', '--strategies', 'ttl', '--search', 'k=2,4,6,8'];

  it('2 workers (--devices cpu,cpu) journal the same trials with the same metrics as 1 process', async () => {
    const one = tempDir('ttl-dist-one-');
    const two = tempDir('ttl-dist-two-');
    const single = await start([cli, 'run', ...tiny, ...search, '--out', one], 120_000).done;
    expect(single.code, single.stderr).toBe(0);
    const pair = await start([cli, 'run', ...tiny, ...search, '--out', two, '--workers', '2', '--devices', 'cpu,cpu'], 120_000).done;
    expect(pair.code, pair.stderr).toBe(0);
    expect(pair.stdout).toContain('rank 1 of 2: joined the run');
    const byId = (dir: string) => new Map(trials(dir).map((r) => [r.id, r]));
    const [a, b] = [byId(one), byId(two)];
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    expect(trials(two)).toHaveLength(4);
    // One LibTorch thread per process in both runs (TTL_TORCH_THREADS=1; --workers 2 on 2 cores also gives 1):
    // the same seeds then give the same sums, so the metrics agree to float printing, not just within noise.
    for (const [id, r] of a) {
      for (const split of ['val', 'test'] as const)
        for (const metric of ['auroc', 'auprc', 'accuracy']) expect(b.get(id)[split][metric], `${id} ${split} ${metric}`).toBeCloseTo(r[split][metric], 6);
      expect(b.get(id).bestEpoch).toBe(r.bestEpoch);
    }
    // The worker's checkpoint reached rank 0's run directory through the store.
    for (const id of a.keys()) expect(readFileSync(join(two, 'trials', id, 'best.safetensors')).length).toBeGreaterThan(1000);
  });

  it("a worker killed mid-trial loses its trial to the queue; the run completes, each trial journaled once", async () => {
    const out = tempDir('ttl-dist-kill-');
    const port = await freePort();
    const master = ['--world-size', '2', '--master', `127.0.0.1:${port}`, '--lease', '3'];
    const rank0 = start([cli, 'run', ...tiny, '--epochs', '3', '--strategies', 'ttl', '--search', 'k=2,4,6,8', '--out', out, ...master, '--rank', '0'], 150_000);
    let killedIn = '';
    // The worker takes its first trial and starts its second epoch: kill it without a chance to clean up.
    const worker = start([cli, 'run', ...tiny, '--epochs', '3', '--strategies', 'ttl', '--search', 'k=2,4,6,8', '--out', tempDir('ttl-dist-w-'), ...master, '--rank', '1'], 150_000,
      (text, child) => {
        const match = /(ttl-k\d+-s0) epoch 2\/3/.exec(text);
        if (match && !killedIn) {
          killedIn = match[1];
          child.kill('SIGKILL');
        }
      });
    await worker.done;
    const end = await rank0.done;
    expect(killedIn).not.toBe('');
    expect(end.code, end.stderr).toBe(0);
    expect(end.stdout).toContain(`requeue ${killedIn}`);
    const ids = trials(out).map((r) => r.id);
    expect(ids.sort()).toEqual(['ttl-k2-s0', 'ttl-k4-s0', 'ttl-k6-s0', 'ttl-k8-s0']);
  });

  it('rank 0 killed: its worker stops, naming the master, and --resume completes the run', async () => {
    const out = tempDir('ttl-dist-rank0-');
    const port = await freePort();
    const args = [...tiny, '--epochs', '3', '--strategies', 'ttl', '--search', 'k=2,4,6,8', '--world-size', '2', '--master', `127.0.0.1:${port}`];
    // Rank 0 is killed once it has journaled a trial and the worker is training one: whichever comes last (a
    // worker slow to start under load must not find the master gone before it ever connected).
    let killedAt = 0;
    let rank0Done = false;
    let workerTraining = false;
    const killRank0 = () => {
      if (killedAt || !rank0Done || !workerTraining) return;
      killedAt = performance.now();
      rank0.child.kill('SIGKILL');
    };
    const rank0 = start([cli, 'run', ...args, '--out', out, '--rank', '0'], 150_000, (text) => {
      rank0Done ||= /done ttl-k\d-s0/.test(text);
      killRank0();
    });
    const worker = start([cli, 'run', ...args, '--out', tempDir('ttl-dist-w-'), '--rank', '1'], 150_000, (text) => {
      workerTraining ||= /ttl-k\d-s0/.test(text);
      killRank0();
    });
    await rank0.done;
    const lost = await worker.done;
    expect(killedAt).toBeGreaterThan(0);
    expect(lost.code).not.toBe(0);
    expect(lost.stderr).toContain(`c10d store at 127.0.0.1:${port}`);
    expect(performance.now() - killedAt).toBeLessThan(30_000);
    const before = trials(out).length;
    expect(before).toBeGreaterThan(0);
    const resumed = await start([cli, 'run', '--resume', out], 150_000).done;
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(trials(out).map((r) => r.id).sort()).toEqual(['ttl-k2-s0', 'ttl-k4-s0', 'ttl-k6-s0', 'ttl-k8-s0']);
  });

  it('a worker with another configuration is refused, naming what differs', async () => {
    const server = await KeyStore.open({ host: '127.0.0.1', port: 0, isServer: true, timeoutMs: 5000 });
    try {
      // What rank 0 publishes, from another version and configuration.
      await server.setJson('meta', { ttlTorch: '0.0.0-other', libtorch: 'x', configHash: 'not-this-config', mode: 'data-parallel with SyncBatchNorm' });
      const worker = await start([cli, 'run', ...tiny, '--out', tempDir('ttl-dist-odd-'), '--world-size', '2', '--rank', '1',
        '--master', `127.0.0.1:${server.port}`], 60_000).done;
      expect(worker.code).not.toBe(0);
      expect(worker.stderr).toContain('rank 1 cannot join the run');
      expect(worker.stderr).toContain('configHash');
      expect(worker.stderr).toContain('0.0.0-other on rank 0');
      expect(worker.stderr).toContain('mode trial-parallel here, data-parallel with SyncBatchNorm on rank 0');
      expect(await server.has('refused/1')).toBe(true);
    } finally {
      server.close();
    }
  });
});
