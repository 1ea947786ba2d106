import { resolve } from 'node:path';
import { TtlError } from '../errors.js';
import { createModel } from '../model.js';
import { getModelCard } from '../registry.js';
import { checkConfig, readConfigFile, readSavedConfig, type RunConfig, type SizedRunConfig } from '../run/config.js';
import { FRAME_POLICIES } from '../data/decode.js';
import { SEARCHED_STRATEGIES, planStageOne, validCutoffs } from '../run/plan.js';
import { markdownTable } from '../run/report.js';
import { executeRun } from '../run/runner.js';
import { inputShape, loadRunData } from '../run/run-data.js';
import type { TrialSpec } from '../run/plan.js';
import { progressPrinter } from './progress.js';
import { executeDistributed, runWorker } from '../parallel/run.js';
import { spawnLocalWorkers } from '../parallel/launch.js';
import { autoThreads } from '../run/threads.js';
import { withImageSize } from '../run/image-size.js';
import { resolveWorld, type World } from '../parallel/world.js';
import { runtimeInfo } from '../runtime.js';
import { checkDevices, deviceOfRank, parseDevices } from '../parallel/devices.js';
import { integerIn } from '../validate.js';

export interface RunFlags {
  config?: string;
  task?: string;
  labelClasses?: string;
  intensity?: string;
  dicomWindow?: string;
  dicomFrame?: string;
  slices?: boolean;
  data?: string;
  model?: string;
  weights?: string;
  allowMissing?: boolean;
  allowOutsidePaths?: boolean;
  dataCache?: string;
  strategies?: string;
  search?: string;
  radius?: string;
  probeTop?: string;
  repeats?: string;
  epochs?: string;
  imageSize?: string;
  batchSize?: string;
  lr?: string;
  warmup?: string;
  clipGradNorm?: string;
  lastBatch?: string;
  analyses?: string;
  optimizer?: string;
  autocast?: string;
  device?: string;
  seed?: string;
  out?: string;
  resume?: string | boolean;
  dryRun?: boolean;
  json?: boolean;
  workers?: string;
  worldSize?: string;
  rank?: string;
  master?: string;
  lease?: string;
  connectTimeout?: string;
  ddp?: boolean;
  syncBn?: boolean;
  devices?: string;
  threads?: string;
  deterministic?: boolean;
}

const NUMERIC = ['radius', 'probeTop', 'repeats', 'epochs', 'imageSize', 'batchSize', 'lr', 'warmup', 'clipGradNorm', 'seed'] as const;

function parseJsonFlag(flag: string, value: string): unknown {
  try {
    return JSON.parse(value);
  } catch (e) {
    throw new TtlError('E_BAD_ARGUMENT', `${flag} must be JSON, e.g. '{"liver":[5]}': ${(e as Error).message}`);
  }
}

/** Flags override the config file, which overrides the demo defaults. */
export function resolveConfig(flags: RunFlags): RunConfig {
  if (typeof flags.resume === 'string') return readSavedConfig(resolve(flags.resume));
  const fromFile = flags.config ? readConfigFile(flags.config) : {};
  const fromFlags: Record<string, unknown> = {};
  for (const key of ['data', 'model', 'weights', 'strategies', 'search', 'optimizer', 'autocast', 'device', 'out', 'analyses', 'lastBatch', 'threads'] as const)
    if (flags[key] !== undefined) fromFlags[key] = flags[key];
  for (const key of NUMERIC) if (flags[key] !== undefined) fromFlags[key] = /^-?[\d.e+-]+$/.test(flags[key]!) ? Number(flags[key]) : flags[key];
  if (flags.allowMissing) fromFlags.allowMissing = true;
  if (flags.allowOutsidePaths) fromFlags.allowOutsidePaths = true;
  if (flags.dataCache !== undefined) fromFlags.dataCache = flags.dataCache;
  if (flags.task !== undefined) fromFlags.task = flags.task;
  if (flags.slices) fromFlags.slices = true;
  if (flags.deterministic) fromFlags.deterministic = true;
  if (flags.labelClasses !== undefined) fromFlags.classes = parseJsonFlag('--label-classes', flags.labelClasses);
  const window = (text: string) => (/^-?[\d.]+,-?[\d.]+$/.test(text) ? text.split(',').map(Number) : text);
  if (flags.intensity !== undefined) fromFlags.intensity = window(flags.intensity);
  if (flags.dicomWindow !== undefined) fromFlags.dicomWindow = window(flags.dicomWindow);
  if (flags.dicomFrame !== undefined) fromFlags.dicomFrame = FRAME_POLICIES.includes(flags.dicomFrame as never) ? flags.dicomFrame as RunConfig['dicomFrame'] : Number(flags.dicomFrame);
  const merged = { ...fromFile, ...fromFlags };
  if (merged.out === undefined) merged.out = `runs/${String(merged.model ?? 'squeezenet1_1')}-${String(merged.data ?? 'pneumoniamnist').replace(/[^\w.-]+/g, '_')}`;
  return checkConfig(merged);
}

const PROBE_VALUES = 16 * 1024 * 1024;

/**
 * Images in the dry run's timing batch: the run's batch size, but at most PROBE_VALUES input values
 * (a batch of 64 at 4096 px would be a 12.9 GB array); the estimate is per image anyway.
 */
export function probeBatch(batchSize: number, input: number[]): number {
  return Math.max(1, Math.min(batchSize, Math.floor(PROBE_VALUES / input.reduce((a, b) => a * b, 1))));
}

async function dryRun(config: SizedRunConfig): Promise<void> {
  const card = getModelCard(config.model);
  const trials = planStageOne(card, config);
  const data = await loadRunData(config);
  const segmentation = config.task === 'segmentation';
  const multiLabel = config.task === 'multilabel';
  const model = await createModel({ model: card.name, head: segmentation ? 'unet' : 'linear', numClasses: data.classes.length, multiLabel, device: config.device });
  // Probe: a few real training steps of the full network at the run's input size.
  const input = inputShape(card, config, data);
  const voxels = input.slice(1).reduce((a, b) => a * b, 1);
  const n = probeBatch(config.batchSize, input);
  const shape = [n, ...input];
  const x = new Float32Array(n * input[0] * voxels).map(() => Math.random());
  const y = multiLabel ? Int32Array.from({ length: n * data.classes.length }, (_, i) => i % 2)
    : Int32Array.from({ length: segmentation ? n * voxels : n }, (_, i) => i % data.classes.length);
  await model.trainStep(x, shape, y, { lr: 0.001 });
  const start = performance.now();
  for (let i = 0; i < 3; i++) await model.trainStep(x, shape, y, { lr: 0.001 });
  const secondsPerImage = (performance.now() - start) / 1000 / (3 * n);
  const complexity = await model.complexity(input);
  const full = complexity.macs;
  const perUnit = complexity.units.map((u) => u.macs);
  model.dispose();
  const trainImages = data.train.shape[0];
  const estimate = (t: TrialSpec) => {
    const macs = t.strategy === 'ttl' ? perUnit[t.cutoff - 1] : full;
    return config.epochs * trainImages * secondsPerImage * Math.max(0.05, macs / full) * 1.15; // + evaluation
  };
  console.log(`plan for ${config.out}: ${card.name} on ${config.data} (${trainImages} training images), ${config.epochs} epochs at ${config.imageSize} px`);
  for (const t of trials) console.log(`  ${t.id.padEnd(16)} stage ${t.stage}  ~${estimate(t).toFixed(0)} s`);
  const total = trials.reduce((a, t) => a + estimate(t), 0);
  const stageTwo = config.search === 'two-stage'
    ? config.strategies.filter((s) => SEARCHED_STRATEGIES.includes(s)).map((s) => `${s}: up to ${Math.min(2 * config.radius, validCutoffs(card).length)} cutoffs x ${config.repeats} seeds`).join('; ')
    : '';
  if (config.search === 'probe')
    console.log(`then linear probes on the pretrained features of all ${card.units.length} units pick ${config.probeTop} cutoff(s) per searched strategy`);
  console.log(`${trials.length} trials, estimated ${(total / 60).toFixed(1)} min from a ${(1 / secondsPerImage).toFixed(0)} img/s probe${stageTwo ? `; then stage 2 (${stageTwo})` : ''}`);
}

/**
 * This process's place in a distributed run, or null for a plain one; --workers N makes it rank 0 of N here, and
 * 'auto' threads the cores split between the N (the workers read the count from the saved configuration).
 */
function worldOf(flags: RunFlags, config: SizedRunConfig): { world: World | null; spawnWorkers: boolean } {
  if (flags.workers === undefined) return { world: resolveWorld(flags), spawnWorkers: false };
  const workers = integerIn('--workers', Number(flags.workers), 1, 256);
  if (flags.worldSize !== undefined || flags.rank !== undefined || flags.master !== undefined)
    throw new TtlError('E_BAD_ARGUMENT', '--workers runs on this machine; use --world-size, --rank and --master (not both) across machines');
  if (config.threads === 'auto') config.threads = autoThreads(workers);
  return { world: workers > 1 ? { worldSize: workers, rank: 0, masterHost: '127.0.0.1', masterPort: 0 } : null, spawnWorkers: true };
}

/** --devices: this rank's device in place of the configured one (refused before any work if LibTorch lacks it). */
async function applyDevices(flags: RunFlags, config: SizedRunConfig, world: World | null): Promise<void> {
  if (flags.devices === undefined) return;
  const devices = parseDevices(flags.devices, world?.worldSize ?? 1);
  checkDevices(devices, await runtimeInfo());
  config.device = deviceOfRank(devices, world?.rank ?? 0);
}

export async function runCommand(flags: RunFlags): Promise<void> {
  // The size is chosen here, before a distributed run compares its ranks' configurations.
  const flagged = resolveConfig(flags);
  if (flags.dryRun) return dryRun(await withImageSize(flagged, console.log));
  const { progress, log, finish } = progressPrinter(flagged, Boolean(flags.json));
  const config = await withImageSize(flagged, log);
  // The first SIGINT/SIGTERM stops the trial at its next batch; trials already finished stay in the journal,
  // so the run resumes where it stopped. A second signal exits at once (once the batch in flight is done: the
  // native code's exit hook lets it finish).
  const controller = new AbortController();
  const stop = (name: string) => {
    if (controller.signal.aborted) process.exit(130);
    log(`${name}: stopping after the current batch (send it again to exit at once)`);
    controller.abort();
  };
  const onInt = () => stop('SIGINT');
  const onTerm = () => stop('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  const { world, spawnWorkers } = worldOf(flags, config);
  await applyDevices(flags, config, world);
  if (flags.ddp && !world) throw new TtlError('E_BAD_ARGUMENT', '--ddp trains a trial on several processes: add --workers N (N >= 2) or --world-size/--rank/--master');
  if (flags.syncBn && !flags.ddp) throw new TtlError('E_BAD_ARGUMENT', '--sync-bn shares batch statistics between the ranks of a data-parallel trial: add --ddp');
  const parallel = { ddp: flags.ddp, syncBatchNorm: flags.syncBn };
  const leaseMs = 1000 * integerIn('--lease', Number(flags.lease ?? 30), 1, 86_400);
  const connectTimeoutMs = 1000 * integerIn('--connect-timeout', Number(flags.connectTimeout ?? 60), 1, 86_400);
  let results;
  try {
    if (world && world.rank > 0) {
      await runWorker(config, world, { log, progress, signal: controller.signal }, { leaseMs, connectTimeoutMs, ...parallel });
      finish();
      return;
    }
    const cb = { log, progress, signal: controller.signal };
    let workers: ReturnType<typeof spawnLocalWorkers> | undefined;
    try {
      results = world
        ? await executeDistributed(config, world, cb, {
          leaseMs, connectTimeoutMs, ...parallel,
          onListening: spawnWorkers ? (port) => (workers = spawnLocalWorkers(config.out, world.worldSize, port, [
            '--lease', String(leaseMs / 1000), ...(flags.ddp ? ['--ddp'] : []), ...(flags.syncBn ? ['--sync-bn'] : []),
            ...(flags.devices !== undefined ? ['--devices', flags.devices] : []),
          ])) : undefined,
        })
        : await executeRun(config, cb);
    } finally {
      workers?.kill();
    }
  } catch (e) {
    if (!controller.signal.aborted) throw e;
    finish();
    process.stderr.write(`ttl-torch: run stopped; finished trials are journaled in ${config.out}\n` +
      `resume with: ttl-torch run --resume ${config.out}\n`);
    process.exitCode = 130;
    return;
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  }
  finish();
  if (flags.json) console.log(JSON.stringify({ event: 'results', ...results }));
  else console.log(`\n${markdownTable(results.rows, results.metrics)}\nresults in ${config.out} (results.md, results.csv, results.json, report.html)`);
}
