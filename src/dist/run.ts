// A trial-parallel run: rank 0 owns the run directory and serves the c10d store that holds the queue of
// trials; every rank (rank 0 included) takes trials from the queue and trains them with the runner's own
// runTrial. Rank 0 journals each result once, then measures latencies and writes the reports alone.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configHash, ttlTorchVersion } from '../checkpoint.js';
import { TtlError } from '../errors.js';
import { getModelCard } from '../registry.js';
import { runtimeInfo } from '../runtime.js';
import type { RunConfig } from '../run/config.js';
import type { Results } from '../run/report.js';
import { executeRun, loadRunData, runTrial, type RunCallbacks, type RunContext, type RunData } from '../run/runner.js';
import { KeyStore } from './c10d.js';
import { readTrialFiles, writeTrialFiles } from './trial-files.js';
import { QueueCoordinator, QueueWorker, type RunMeta } from './trial-queue.js';
import type { World } from './world.js';

export interface DistributedOptions {
  /** A worker whose heartbeat stops this long loses its trial to the queue (default 30 s). */
  leaseMs?: number;
  /** How long a worker tries to reach the master, and waits for its answers (default 60 s). */
  connectTimeoutMs?: number;
  /** Rank 0: called once the store listens and config.json is written (spawns a one-machine run's workers). */
  onListening?: (port: number) => void;
}

/** What ranks must agree on: the options that shape trials (not where this rank writes or computes). */
async function runMeta(config: RunConfig): Promise<RunMeta> {
  const { out: _out, device: _device, ...shaping } = config;
  return { ttlTorch: ttlTorchVersion(), libtorch: (await runtimeInfo()).libtorch, configHash: configHash(shaping as Record<string, unknown>) };
}

/** Takes trials until rank 0 says stop; `scratch` null: train in the run directory itself (rank 0). */
async function work(queue: QueueWorker, ctx: Pick<RunContext, 'config' | 'data' | 'cb'>, dir: string, shipFiles: boolean): Promise<void> {
  const card = getModelCard(ctx.config.model);
  for (;;) {
    const job = await queue.take();
    if (!job) return;
    const record = await runTrial(card, ctx.config, ctx.data, job.spec, dir, ctx.cb);
    const trialDir = join(dir, 'trials', job.spec.id);
    await queue.post({ slot: job.slot, record, files: shipFiles ? readTrialFiles(trialDir) : [] });
    if (shipFiles) rmSync(trialDir, { recursive: true, force: true });
  }
}

/** Rank 0: the run as executeRun does it, with each stage's trials spread over the world through the queue. */
export async function executeDistributed(config: RunConfig, world: World, cb: RunCallbacks = {}, options: DistributedOptions = {}): Promise<Results> {
  const log = cb.log ?? (() => {});
  const store = await KeyStore.open({ host: world.masterHost, port: world.masterPort, isServer: true, timeoutMs: options.connectTimeoutMs ?? 60_000 });
  log(`rank 0 of ${world.worldSize}: c10d store at ${store.address}`);
  const queue = new QueueCoordinator(store, world.worldSize, options.leaseMs ?? 30_000, log);
  await queue.publishMeta(await runMeta(config));
  const local = new QueueWorker(store, 0);
  let working: Promise<void> | undefined;
  try {
    return await executeRun(config, cb, async (trials, ctx) => {
      if (!working) {
        // config.json is written by now: workers spawned here can read it.
        options.onListening?.(store.port);
        local.startHeartbeat();
        // Rank 0 trains too; an error there ends the run (as it would without workers).
        working = work(local, ctx, ctx.dir, false);
      }
      const failed = working.then(() => new Promise<never>(() => {}));
      await Promise.race([failed, queue.run(trials, async (result) => {
        writeTrialFiles(join(ctx.dir, 'trials', result.record.id), result.files);
        ctx.record(result.record);
      }, cb.signal)]);
    });
  } finally {
    await queue.stop().catch(() => {});
    await working?.catch(() => {});
    await local.stopHeartbeat();
    // Let the workers see `stop` before the server goes away with the process.
    await new Promise((r) => setTimeout(r, 1500));
    store.close();
  }
}

/** Ranks 1..W-1: take trials from rank 0's queue until it says stop. */
export async function runWorker(config: RunConfig, world: World, cb: RunCallbacks = {}, options: DistributedOptions = {}): Promise<void> {
  const log = cb.log ?? (() => {});
  const timeoutMs = options.connectTimeoutMs ?? 60_000;
  const store = await KeyStore.open({ host: world.masterHost, port: world.masterPort, timeoutMs });
  try {
    const mine = await runMeta(config);
    if (!(await store.wait(['meta'], timeoutMs)))
      throw new TtlError('E_DIST_TIMEOUT', `the master at ${store.address} published no run within ${timeoutMs / 1000} s`);
    const theirs = await store.getJson<RunMeta>('meta');
    const differs = (Object.keys(mine) as (keyof RunMeta)[]).filter((k) => mine[k] !== theirs[k]);
    if (differs.length) {
      const reason = differs.map((k) => `${k} ${mine[k]} here, ${theirs[k]} on rank 0`).join('; ');
      await store.set(`refused/${world.rank}`, reason);
      throw new TtlError('E_DIST_MISMATCH', `rank ${world.rank} cannot join the run at ${store.address}: ${reason}`);
    }
    log(`rank ${world.rank} of ${world.worldSize}: joined the run at ${store.address}`);
    const data: RunData = await loadRunData(config);
    const scratch = mkdtempSync(join(tmpdir(), `ttl-torch-rank${world.rank}-`));
    const queue = new QueueWorker(store, world.rank);
    queue.startHeartbeat();
    try {
      await work(queue, { config, data, cb }, scratch, true);
    } finally {
      await queue.stopHeartbeat();
      rmSync(scratch, { recursive: true, force: true });
    }
    log(`rank ${world.rank}: no more trials`);
  } finally {
    store.close();
  }
}
