// c10d over 127.0.0.1: the store, a worker that cannot reach its master, a data-parallel step against one
// process with the whole batch, a data-parallel run, and trial-parallel runs (same answer as one process, a killed worker's
// trial requeued, a mismatched worker refused). Every child process is killed in afterEach.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { KeyStore } from '../src/index.js';
import { root, shared } from './helpers.js';

const cli = join(root, 'dist', 'cli', 'main.js');
const env = { ...process.env, TTL_TORCH_MIRROR: shared, TTL_TORCH_OFFLINE: '1', TTL_TORCH_CACHE: '/nonexistent-ttl-cache', TTL_TORCH_THREADS: '1' };
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

describe('data-parallel step', () => {
  it('2 ranks with batch 4 each reach the parameters of 1 process with batch 8 (to 1e-5)', async () => {
    // squeezenet1_1 has no batch norm and the linear head no dropout: the only difference is summation order.
    const helper = join(root, 'test', 'dist-ddp-step.mjs');
    const port = await freePort();
    const [r0, r1, single] = await Promise.all([
      start([helper, '0', '2', String(port), '8'], 90_000).done,
      start([helper, '1', '2', String(port), '8'], 90_000).done,
      start([helper, '0', '1', '0', '8'], 90_000).done,
    ]);
    for (const r of [r0, r1, single]) expect(r.code, r.stderr).toBe(0);
    const parse = (r: Exit) => JSON.parse(r.stdout) as { loss: number; params: Record<string, string> };
    const [a, b, s] = [parse(r0), parse(r1), parse(single)];
    const floats = (text: string) => {
      const bytes = Buffer.from(text, 'base64');
      return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
    };
    let ddpVsSingle = 0;
    let rankVsRank = 0;
    expect(Object.keys(a.params).length).toBeGreaterThan(10);
    for (const name of Object.keys(s.params)) {
      const [x, y, z] = [floats(a.params[name]), floats(s.params[name]), floats(b.params[name])];
      for (let i = 0; i < y.length; i++) {
        ddpVsSingle = Math.max(ddpVsSingle, Math.abs(x[i] - y[i]));
        rankVsRank = Math.max(rankVsRank, Math.abs(x[i] - z[i]));
      }
    }
    // Rank 1 started from other random weights (seed 8): after the broadcast and one averaged step both ranks
    // hold the same weights, and they are the whole-batch step's (a rank that stepped on its own half-batch
    // gradient alone would be off by lr x the gradient difference, ~1e-3 here).
    expect(rankVsRank).toBe(0);
    expect(ddpVsSingle).toBeLessThan(1e-5);
    expect((a.loss + b.loss) / 2).toBeCloseTo(s.loss, 5);
    console.log(`DDP vs one process: max |diff| ${ddpVsSingle.toExponential(2)} over ${Object.keys(s.params).length} tensors`);
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
});

describe('trial-parallel run', () => {
  const search = ['--epochs', '1', '--strategies', 'ttl', '--search', 'k=2,4,6,8'];

  it('2 workers journal the same trials with the same metrics as 1 process', async () => {
    const one = tempDir('ttl-dist-one-');
    const two = tempDir('ttl-dist-two-');
    const single = await start([cli, 'run', ...tiny, ...search, '--out', one], 120_000).done;
    expect(single.code, single.stderr).toBe(0);
    const pair = await start([cli, 'run', ...tiny, ...search, '--out', two, '--workers', '2'], 120_000).done;
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
    let killedAt = 0;
    const rank0 = start([cli, 'run', ...args, '--out', out, '--rank', '0'], 150_000, (text, child) => {
      if (!killedAt && /done ttl-k\d-s0/.test(text)) {
        killedAt = performance.now();
        child.kill('SIGKILL');
      }
    });
    const worker = start([cli, 'run', ...args, '--out', tempDir('ttl-dist-w-'), '--rank', '1'], 150_000);
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
      await server.setJson('meta', { ttlTorch: '0.0.0-other', libtorch: 'x', configHash: 'not-this-config' });
      const worker = await start([cli, 'run', ...tiny, '--out', tempDir('ttl-dist-odd-'), '--world-size', '2', '--rank', '1',
        '--master', `127.0.0.1:${server.port}`], 60_000).done;
      expect(worker.code).not.toBe(0);
      expect(worker.stderr).toContain('rank 1 cannot join the run');
      expect(worker.stderr).toContain('configHash');
      expect(worker.stderr).toContain('0.0.0-other on rank 0');
      expect(await server.has('refused/1')).toBe(true);
    } finally {
      server.close();
    }
  });
});
