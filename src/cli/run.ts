import { resolve } from 'node:path';
import { TtlError } from '../errors.js';
import { createModel } from '../model.js';
import { getModelCard } from '../registry.js';
import { checkConfig, readConfigFile, type RunConfig } from '../run/config.js';
import { planStageOne, validCutoffs } from '../run/plan.js';
import { markdownTable } from '../run/report.js';
import { executeRun, inputShape, loadRunData, readRunConfig } from '../run/runner.js';
import type { RunProgress } from '../run/runner.js';
import { metricsOf } from '../run/task.js';
import type { TrialSpec } from '../run/plan.js';

export interface RunFlags {
  config?: string;
  task?: string;
  labelClasses?: string;
  intensity?: string;
  slices?: boolean;
  data?: string;
  model?: string;
  weights?: string;
  allowMissing?: boolean;
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
  analyses?: string;
  optimizer?: string;
  autocast?: string;
  device?: string;
  seed?: string;
  out?: string;
  resume?: string | boolean;
  dryRun?: boolean;
  json?: boolean;
}

const NUMERIC = ['radius', 'probeTop', 'repeats', 'epochs', 'imageSize', 'batchSize', 'lr', 'warmup', 'seed'] as const;

function parseJsonFlag(flag: string, value: string): unknown {
  try {
    return JSON.parse(value);
  } catch (e) {
    throw new TtlError('E_BAD_ARGUMENT', `${flag} must be JSON, e.g. '{"liver":[5]}': ${(e as Error).message}`);
  }
}

/** Flags override the config file, which overrides the demo defaults. */
export function resolveConfig(flags: RunFlags): RunConfig {
  if (typeof flags.resume === 'string') return readRunConfig(resolve(flags.resume));
  const fromFile = flags.config ? readConfigFile(flags.config) : {};
  const fromFlags: Record<string, unknown> = {};
  for (const key of ['data', 'model', 'weights', 'strategies', 'search', 'optimizer', 'autocast', 'device', 'out', 'analyses'] as const)
    if (flags[key] !== undefined) fromFlags[key] = flags[key];
  for (const key of NUMERIC) if (flags[key] !== undefined) fromFlags[key] = /^-?[\d.e+-]+$/.test(flags[key]!) ? Number(flags[key]) : flags[key];
  if (flags.allowMissing) fromFlags.allowMissing = true;
  if (flags.task !== undefined) fromFlags.task = flags.task;
  if (flags.slices) fromFlags.slices = true;
  if (flags.labelClasses !== undefined) fromFlags.classes = parseJsonFlag('--label-classes', flags.labelClasses);
  if (flags.intensity !== undefined) fromFlags.intensity = /^-?[\d.]+,-?[\d.]+$/.test(flags.intensity) ? flags.intensity.split(',').map(Number) : flags.intensity;
  const merged = { ...fromFile, ...fromFlags };
  if (merged.out === undefined) merged.out = `runs/${String(merged.model ?? 'squeezenet1_1')}-${String(merged.data ?? 'pneumoniamnist').replace(/[^\w.-]+/g, '_')}`;
  return checkConfig(merged);
}

async function dryRun(config: RunConfig): Promise<void> {
  const card = getModelCard(config.model);
  const trials = planStageOne(card, config);
  const data = await loadRunData(config);
  const segmentation = config.task === 'segmentation';
  const model = await createModel({ name: card.name, head: segmentation ? 'unet' : 'linear', numClasses: data.classes.length, device: config.device });
  // Probe: a few real training steps of the full network at the run's batch and input size.
  const n = config.batchSize;
  const input = inputShape(card, config, data);
  const shape = [n, ...input];
  const voxels = input.slice(1).reduce((a, b) => a * b, 1);
  const x = new Float32Array(n * input[0] * voxels).map(() => Math.random());
  const y = Int32Array.from({ length: segmentation ? n * voxels : n }, (_, i) => i % data.classes.length);
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
  console.log(`plan for ${config.out}: ${card.name} on ${config.data} (${trainImages} training images), ${config.epochs} epochs`);
  for (const t of trials) console.log(`  ${t.id.padEnd(16)} stage ${t.stage}  ~${estimate(t).toFixed(0)} s`);
  const total = trials.reduce((a, t) => a + estimate(t), 0);
  const stageTwo = config.search === 'two-stage'
    ? config.strategies.filter((s) => ['lwft', 'tf', 'ttl'].includes(s)).map((s) => `${s}: up to ${Math.min(2 * config.radius, validCutoffs(card).length)} cutoffs x ${config.repeats} seeds`).join('; ')
    : '';
  if (config.search === 'probe')
    console.log(`then linear probes on the pretrained features of all ${card.units.length} units pick ${config.probeTop} cutoff(s) per searched strategy`);
  console.log(`${trials.length} trials, estimated ${(total / 60).toFixed(1)} min from a ${(1 / secondsPerImage).toFixed(0)} img/s probe${stageTwo ? `; then stage 2 (${stageTwo})` : ''}`);
}

export async function runCommand(flags: RunFlags): Promise<void> {
  const config = resolveConfig(flags);
  if (flags.dryRun) return dryRun(config);
  const tty = process.stdout.isTTY && !flags.json;
  let live = false;
  const [primary] = metricsOf(config);
  const duration = (seconds: number) => (seconds >= 90 ? `${Math.round(seconds / 60)} min` : `${Math.round(seconds)} s`);
  // Where the run stands: "[trial 3/9, run ETA 12 min]". Finished trials give the mean trial time; before
  // the first finishes, the trial in flight's own epochs stand in for it.
  let place = '';
  let perTrial: number | null = null;
  let trialsAfter = 0;
  let lastPlain = 0;
  const stamp = (trialLeft: number | null, trialTotal: number | null = null) => {
    const each = perTrial ?? trialTotal;
    const eta = each === null ? null : (trialLeft ?? each) + each * trialsAfter;
    return `[${place}${eta === null ? '' : `, run ETA ${duration(eta)}`}]`;
  };
  const progress = (trial: TrialSpec, e: RunProgress) => {
    if (flags.json) {
      if (e.type !== 'batch' || Date.now() - lastPlain > 5000) {
        lastPlain = Date.now();
        console.log(JSON.stringify({ ...e, event: e.type, trial: trial.id }));
      }
      return;
    }
    if (e.type === 'trial') {
      place = `trial ${e.index}/${e.total}`;
      trialsAfter = e.total - e.index;
      perTrial = e.etaSeconds === null ? null : e.etaSeconds / (trialsAfter + 1);
      log(`${stamp(null)} ${trial.id}: stage ${e.stage}${e.stage === 0 ? ' (full network)' : ''}`);
    } else if (e.type === 'stage') {
      log(`${stamp(null)} ${trial.id}: ${e.stage}`);
    } else if (e.type === 'batch') {
      const line = `${stamp(null)} ${trial.id} epoch ${e.epoch}/${config.epochs} batch ${e.batch}/${e.batches} loss ${e.loss.toFixed(4)}`;
      if (tty) {
        process.stdout.write(`\r${line}   `);
        live = true;
      } else if (Date.now() - lastPlain > 15000) {
        // Not a terminal: a line now and then, so a log shows the run is alive within long epochs.
        lastPlain = Date.now();
        console.log(line);
      }
    } else {
      const line = `${stamp(e.seconds * (e.epochs - e.epoch), e.seconds * e.epochs)} ${trial.id} epoch ${e.epoch}/${e.epochs} loss ${e.trainLoss.toFixed(4)} ` +
        `val ${primary.label} ${e.val.toFixed(4)} (${e.seconds.toFixed(1)} s, trial ETA ${duration(e.seconds * (e.epochs - e.epoch))})`;
      if (tty) process.stdout.write(`\r${line}${' '.repeat(10)}`);
      else console.log(line);
      lastPlain = Date.now();
      live = tty;
    }
  };
  const log = (line: string) => {
    if (flags.json) return;
    if (live) process.stdout.write('\n');
    live = false;
    console.log(line);
  };
  // The first SIGINT/SIGTERM stops the trial at its next batch; trials already finished stay in the journal,
  // so the run resumes where it stopped. A second signal exits at once.
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
  let results;
  try {
    results = await executeRun(config, { log, progress, signal: controller.signal });
  } catch (e) {
    if (!controller.signal.aborted) throw e;
    if (live) process.stdout.write('\n');
    process.stderr.write(`ttl-torch: run stopped; finished trials are journaled in ${config.out}\n` +
      `resume with: ttl-torch run --resume ${config.out}\n`);
    process.exitCode = 130;
    return;
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  }
  if (live) process.stdout.write('\n');
  if (flags.json) console.log(JSON.stringify({ event: 'results', ...results }));
  else console.log(`\n${markdownTable(results.rows, results.metrics)}\nresults in ${config.out} (results.md, results.csv, results.json, report.html)`);
}
