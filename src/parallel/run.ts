// Distributed runs. Rank 0 owns the run directory and serves the c10d store; the other ranks join it.
//  - trial-parallel (default): the store holds a queue of trials; every rank (rank 0 included) takes trials
//    and trains them alone with the runner's own runTrial; rank 0 journals each result once.
//  - data-parallel (ddp): all ranks train each trial together over a Gloo/NCCL process group, one trial
//    after another; rank 0 publishes the next trial under ddp/<n> and journals it.
// Either way rank 0 then measures latencies and writes the reports alone.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configHash, ttlTorchVersion } from '../weights/checkpoint.js';
import { TtlError } from '../errors.js';
import { getModelCard } from '../registry.js';
import { runtimeInfo } from '../runtime.js';
import type { SizedRunConfig } from '../run/config.js';
import type { TrialSpec } from '../run/plan.js';
import type { Results } from '../run/report.js';
import { loadRunData } from '../run/run-data.js';
import { executeRun, runTrial, type RunCallbacks, type RunContext, type StageRunner, type TrialParallel } from '../run/runner.js';
import { KeyStore, ProcessGroup } from './c10d.js';
import { readTrialFiles, writeTrialFiles } from './trial-files.js';
import { QueueCoordinator, QueueWorker, keyOrStop, type RunMeta } from './trial-queue.js';
import type { World } from './world.js';

export interface DistributedOptions {
  /** Train each trial on all ranks together (data-parallel) instead of one trial per rank. */
  ddp?: boolean;
  /** Data-parallel: SyncBatchNorm (batch statistics over all ranks' rows) instead of each rank's own. */
  syncBatchNorm?: boolean;
  /** Trial-parallel: a worker whose heartbeat stops this long loses its trial to the queue (default 30 s). */
  leaseMs?: number;
  /** How long a worker tries to reach the master, and waits for its answers (default 60 s). */
  connectTimeoutMs?: number;
  /** Data-parallel: how long a collective waits for the other ranks (default 300 s). */
  collectiveTimeoutMs?: number;
  /** Rank 0: called once the store listens and config.json is written (spawns a one-machine run's workers). */
  onListening?: (port: number) => void;
}

/** What ranks must agree on: the options that shape trials (not where this rank writes or computes). */
async function runMeta(config: SizedRunConfig, options: DistributedOptions): Promise<RunMeta> {
  // Each host trains with its own cores; every trial records its count.
  const { out: _out, device: _device, threads: _threads, ...shaping } = config;
  const mode = options.ddp ? `data-parallel${options.syncBatchNorm ? ' with SyncBatchNorm' : ''}` : 'trial-parallel';
  return { ttlTorch: ttlTorchVersion(), libtorch: (await runtimeInfo()).libtorch, configHash: configHash(shaping as Record<string, unknown>), mode };
}

const loopback = (host: string) => host === 'localhost' || host.startsWith('127.');

async function joinDdp(store: KeyStore, world: World, options: DistributedOptions): Promise<TrialParallel> {
  const group = await ProcessGroup.join(store, {
    name: 'ddp', rank: world.rank, worldSize: world.worldSize, hostname: loopback(world.masterHost) ? '127.0.0.1' : undefined,
    timeoutMs: options.collectiveTimeoutMs ?? 300_000,
  });
  return { group, syncBatchNorm: Boolean(options.syncBatchNorm) };
}

type Job = Pick<RunContext, 'config' | 'data' | 'cb'>;

/** Trains a trial in `dir`; a worker ships (queue) or drops (ddp: rank 0 has them) the trial's files after. */
async function train(job: Job, spec: TrialSpec, dir: string, parallel?: TrialParallel) {
  return runTrial(getModelCard(job.config.model), job.config, job.data, spec, dir, job.cb, parallel);
}

/** Takes trials from the queue until rank 0 says stop. */
async function work(queue: QueueWorker, job: Job, dir: string, shipFiles: boolean): Promise<void> {
  const started = performance.now();
  for (;;) {
    const taken = await queue.take();
    if (!taken) return;
    // Slot numbers stand in for the run's place: the queue knows no ETA (other ranks train the rest).
    job.cb.progress?.(taken.spec, {
      type: 'trial', stage: taken.spec.stage, index: taken.slot + 1, total: taken.slots, elapsedSeconds: (performance.now() - started) / 1000, etaSeconds: null,
    });
    const record = await train(job, taken.spec, dir).catch((e: unknown) => {
      // A trial stopped because the master went away says so, not "cancelled".
      throw queue.lost ?? e;
    });
    const trialDir = join(dir, 'trials', taken.spec.id);
    await queue.post({ slot: taken.slot, record, files: shipFiles ? readTrialFiles(trialDir) : [] });
    if (shipFiles) rmSync(trialDir, { recursive: true, force: true });
  }
}

/** Rank 0 of a trial-parallel run: each stage's trials go through the queue; rank 0 takes its share. */
function queueStages(store: KeyStore, world: World, options: DistributedOptions, log: (line: string) => void): { stages: StageRunner; close: () => Promise<void> } {
  const queue = new QueueCoordinator(store, world.worldSize, options.leaseMs ?? 30_000, log);
  const local = new QueueWorker(store, 0);
  let working: Promise<void> | undefined;
  const stages: StageRunner = async (trials, ctx) => {
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
    }, ctx.cb.signal)]);
  };
  const close = async () => {
    await queue.stop().catch(() => {});
    await working?.catch(() => {});
    await local.stopHeartbeat();
  };
  return { stages, close };
}

/** Rank 0 of a data-parallel run: publishes each trial, then trains it with every other rank. */
function ddpStages(store: KeyStore, world: World, options: DistributedOptions): { stages: StageRunner; close: () => Promise<void> } {
  let parallel: TrialParallel | undefined;
  let next = 0;
  const stages: StageRunner = async (trials, ctx) => {
    if (!parallel) {
      options.onListening?.(store.port);
      parallel = await joinDdp(store, world, options);
    }
    for (const spec of trials) {
      await store.setJson(`ddp/${next++}`, spec);
      ctx.record(await train(ctx, spec, ctx.dir, parallel));
    }
  };
  return { stages, close: () => store.set('stop', '1').catch(() => {}) };
}

/** Rank 0: the run as executeRun does it, with each stage's trials spread over the world. */
export async function executeDistributed(config: SizedRunConfig, world: World, cb: RunCallbacks = {}, options: DistributedOptions = {}): Promise<Results> {
  const log = cb.log ?? (() => {});
  const store = await KeyStore.open({ host: world.masterHost, port: world.masterPort, isServer: true, timeoutMs: options.connectTimeoutMs ?? 60_000 });
  const mode = options.ddp ? `, data-parallel trials${options.syncBatchNorm ? ' with SyncBatchNorm' : ''}` : '';
  log(`rank 0 of ${world.worldSize}: c10d store at ${store.address}${mode}`);
  await store.setJson('meta', await runMeta(config, options));
  const { stages, close } = options.ddp ? ddpStages(store, world, options) : queueStages(store, world, options, log);
  try {
    return await executeRun(config, cb, stages);
  } finally {
    await close();
    // Let the workers see `stop` before the server goes away with the process.
    await new Promise((r) => setTimeout(r, 1500));
    store.close();
  }
}

/** Refuses to join a run whose version or configuration differs from this rank's (and tells rank 0 why). */
async function checkMeta(store: KeyStore, config: SizedRunConfig, options: DistributedOptions, rank: number, timeoutMs: number): Promise<void> {
  const mine = await runMeta(config, options);
  if (!(await store.wait(['meta'], timeoutMs)))
    throw new TtlError('E_DIST_TIMEOUT', `the master at ${store.address} published no run within ${timeoutMs / 1000} s`);
  const theirs = await store.getJson<RunMeta>('meta');
  const differs = (Object.keys(mine) as (keyof RunMeta)[]).filter((k) => mine[k] !== theirs[k]);
  if (!differs.length) return;
  const reason = differs.map((k) => `${k} ${mine[k]} here, ${theirs[k]} on rank 0`).join('; ');
  await store.set(`refused/${rank}`, reason);
  throw new TtlError('E_DIST_MISMATCH', `rank ${rank} cannot join the run at ${store.address}: ${reason}`);
}

/** Ranks 1..W-1: train what rank 0 hands out until it says stop. */
export async function runWorker(config: SizedRunConfig, world: World, cb: RunCallbacks = {}, options: DistributedOptions = {}): Promise<void> {
  const log = cb.log ?? (() => {});
  const timeoutMs = options.connectTimeoutMs ?? 60_000;
  const store = await KeyStore.open({ host: world.masterHost, port: world.masterPort, timeoutMs });
  const scratch = mkdtempSync(join(tmpdir(), `ttl-torch-rank${world.rank}-`));
  try {
    await checkMeta(store, config, options, world.rank, timeoutMs);
    log(`rank ${world.rank} of ${world.worldSize}: joined the run at ${store.address}`);
    const job: Job = { config, data: await loadRunData(config), cb };
    if (options.ddp) {
      const parallel = await joinDdp(store, world, options);
      for (let n = 0; await keyOrStop(store, `ddp/${n}`); n++) {
        const spec = await store.getJson<TrialSpec>(`ddp/${n}`);
        await train(job, spec, scratch, parallel);
        rmSync(join(scratch, 'trials', spec.id), { recursive: true, force: true });
      }
    } else {
      // Losing the master stops the trial in flight at its next batch.
      const stop = new AbortController();
      cb.signal?.addEventListener('abort', () => stop.abort());
      const queue = new QueueWorker(store, world.rank, (e) => stop.abort(e));
      queue.startHeartbeat();
      try {
        await work(queue, { ...job, cb: { ...cb, signal: stop.signal } }, scratch, true);
      } finally {
        await queue.stopHeartbeat();
      }
    }
    log(`rank ${world.rank}: no more trials`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    store.close();
  }
}
