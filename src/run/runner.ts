// Executes a run: plan, train each trial not yet journaled, measure latency of the chosen rows, report.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { TtlError } from '../errors.js';
import { resolveDataset, isDatasetName } from '../data/catalog.js';
import { describeDataset } from '../data/load.js';
import type { ImageDataset } from '../data/dataset.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { readLrRange } from './trial-files.js';
import { makeRunDir } from '../fs/outdir.js';
import { runtimeInfo, setDeterministic, setThreads } from '../runtime.js';
import { autoThreads, trialThreads } from './threads.js';
import { withImageSize } from './image-size.js';
import { createModel } from '../model.js';
import { resolveWeights } from '../weights/resolve.js';
import { getModelCard, normalisation, type ModelCard } from '../registry.js';
import { finetune } from '../train/finetune.js';
import { lrRangeTest } from '../train/lr-range.js';
import { trainSegmentation } from '../train/segment.js';
import type { TrainingOptions } from '../train/setup.js';
import type { ProcessGroup } from '../parallel/c10d.js';
import type { RunConfig, SizedRunConfig } from './config.js';
import { appendJournal, readJournal, trialRecords, type ProbeRecord, type Scores, type TrialEnvironment, type TrialRecord } from './journal.js';
import { probeUnits } from '../analysis/probes.js';
import { SEARCHED_STRATEGIES, planStageOne, planStageTwo, stageTwoBound, toStrategy, type TrialSpec } from './plan.js';
import { best, summarise } from './results.js';
import { writeReports, type Results } from './report.js';
import { labelMetricKey, metricsOf } from './task.js';
import type { MultiLabelMetrics } from '../metrics/multilabel.js';
import { finishingEstimate, finishRun } from './finish.js';
import { inputShape, loadRunData, segments, type RunData } from './run-data.js';
import { meanInterval, savePredictions, trialUncertainty } from './predictions.js';

/**
 * Progress of the run: a trial starts ('trial': its place in the run, the ETA of its trials and the estimate of
 * what follows them, latency timing and analyses), enters a stage
 * ('stage': e.g. the LR range test), trains ('batch', 'epoch'; `val` is the selecting metric on validation).
 */
export type RunProgress =
  | { type: 'trial'; stage: 0 | 1 | 2; index: number; total: number; elapsedSeconds: number; etaSeconds: number | null; finishingSeconds?: number }
  | { type: 'stage'; stage: string }
  | { type: 'batch'; epoch: number; batch: number; batches: number; loss: number }
  | { type: 'epoch'; epoch: number; epochs: number; trainLoss: number; val: number; seconds: number; best: boolean };

export interface RunCallbacks {
  log?: (line: string) => void;
  /** Live progress of the trial in flight (a TTY renders it on one line). */
  progress?: (trial: TrialSpec, event: RunProgress) => void;
  signal?: AbortSignal;
}

const classificationScores = (m: { auroc: number; auprc: number; averagePrecision: number; accuracy: number; balancedAccuracy: number }): Scores => ({
  auroc: m.auroc, auprc: m.auprc, averagePrecision: m.averagePrecision, accuracy: m.accuracy, balancedAccuracy: m.balancedAccuracy,
});

// Macro and micro averages, then each label's AUROC with its DeLong interval and AUPRC under `metric[label]`.
const multiLabelScores = (m: MultiLabelMetrics): Scores => ({
  auroc: m.auroc, auprc: m.auprc, microAuroc: m.microAuroc, microAuprc: m.microAuprc,
  ...Object.fromEntries(m.perLabel.flatMap((l) => [
    [labelMetricKey('auroc', l.label), l.auroc], [labelMetricKey('aurocLow', l.label), l.aurocCi.low],
    [labelMetricKey('aurocHigh', l.label), l.aurocCi.high], [labelMetricKey('auprc', l.label), l.auprc],
  ])),
});

const segmentationScores = (m: { dice: { mean: number; std: number }; jaccard: { mean: number; std: number } }): Scores => ({
  dice: m.dice.mean, jaccard: m.jaccard.mean, diceStd: m.dice.std, jaccardStd: m.jaccard.std,
});

/**
 * Resolves the run's dataset and weights by name before anything trains; offline and uncached, one error
 * names every missing file and where to put it.
 */
export async function preflight(config: RunConfig): Promise<void> {
  const problems: string[] = [];
  if (isDatasetName(config.data)) await resolveDataset(config.data).catch((e: Error) => problems.push(e.message));
  const card = getModelCard(config.model);
  if (config.weights && config.weights in card.weights)
    await resolveWeights(card.name, config.weights).catch((e: Error) => problems.push(e.message));
  if (problems.length) throw new TtlError('E_NO_FILE', `cannot start the run:\n  - ${problems.join('\n  - ')}`);
}

/**
 * The trial's learning rate: the configured one, or (lr 'auto') the suggestion of an LR range test on this
 * trial's own network, kept in trials/<id>/lr-range.json so that a resumed run does not sweep again.
 */
async function trialLr(config: SizedRunConfig, data: RunData, spec: TrialSpec, common: TrainingOptions, trialDir: string, cb: RunCallbacks): Promise<number> {
  if (config.lr !== 'auto') return config.lr;
  const path = join(trialDir, 'lr-range.json');
  if (existsSync(path)) return readLrRange(path).suggested;
  cb.progress?.(spec, { type: 'stage', stage: 'lr range test' });
  // Each rank of a data-parallel trial sweeps alone (same seed, same answer): a resumed rank 0 reads its saved
  // sweep while the others sweep again, so the sweep must not wait on collectives.
  const range = await lrRangeTest({ ...common, group: undefined, syncBatchNorm: undefined, data: data as ImageDataset });
  writeFileAtomic(path, [JSON.stringify(range) + '\n']);
  return range.suggested;
}

const AUTO_LR_RETRIES = 3;

/** What every trial of the run trains with, before its learning rate is known. */
/** A data-parallel trial's group and how it trains over it. */
export interface TrialParallel {
  group: ProcessGroup;
  syncBatchNorm: boolean;
}

function trialOptions(card: ModelCard, config: SizedRunConfig, spec: TrialSpec, dir: string, cb: RunCallbacks, parallel?: TrialParallel): TrainingOptions {
  return {
    model: card.name, weights: config.weights ?? undefined, allowMissing: config.allowMissing, strategy: toStrategy(card, spec.strategy, spec.cutoff),
    imageSize: config.imageSize, epochs: config.epochs, batchSize: config.batchSize,
    pretrainedLrScale: config.pretrainedLrScale, optimizer: config.optimizer, weightDecay: config.weightDecay, warmup: config.warmup,
    clipGradNorm: config.clipGradNorm, lastBatch: config.lastBatch,
    patience: config.patience, autocast: config.autocast || undefined, augment: config.augment, seed: spec.seed, device: config.device,
    checkpoint: join(dir, 'trials', spec.id, 'best.safetensors'), signal: cb.signal, group: parallel?.group,
    // Only when set, so that the configuration hash of other trials' checkpoints stays what it was.
    ...(parallel?.syncBatchNorm ? { syncBatchNorm: true } : {}),
  };
}

/** One trial of the run's task; the record carries its scores under the task's metric keys. */
async function trainTrial(card: ModelCard, config: SizedRunConfig, data: RunData, spec: TrialSpec, dir: string, cb: RunCallbacks, common: TrainingOptions) {
  const epochEvent = (e: { epoch: number; epochs: number; trainLoss: number; seconds: number; best: boolean }, val: number): RunProgress =>
    ({ type: 'epoch', epoch: e.epoch, epochs: e.epochs, trainLoss: e.trainLoss, val, seconds: e.seconds, best: e.best });
  if (segments(config, data)) {
    const r = await trainSegmentation({
      ...common, data, shape: inputShape(card, config, data).slice(1),
      onProgress: (e) => cb.progress?.(spec, e.type === 'batch' ? e : epochEvent(e, e.val.dice.mean)),
    });
    const curves = r.curves.map(({ valDice, ...c }) => ({ ...c, val: valDice }));
    return {
      r, curves, val: segmentationScores(r.val), test: segmentationScores(r.test),
      uncertainty: { valSe: r.val.dice.std / Math.sqrt(data.val.shape[0]), testCi: meanInterval(r.test.dice.mean, r.test.dice.std, data.test.shape[0]) },
    };
  }
  const r = await finetune({
    ...common, data, onProgress: (e) => cb.progress?.(spec, e.type === 'batch' ? e : epochEvent(e, e.val.auroc)),
  });
  const curves = r.curves.map(({ valAuroc, ...c }) => ({ ...c, val: valAuroc }));
  const uncertainty = trialUncertainty(savePredictions(join(dir, 'trials', spec.id), data, r.predictions), spec.seed);
  // Multi-label: the macro AUROC's bootstrap interval here; each label's DeLong interval is in its scores.
  if ('perLabel' in r.val && 'perLabel' in r.test) return { r, curves, val: multiLabelScores(r.val), test: multiLabelScores(r.test), uncertainty };
  if ('perLabel' in r.val || 'perLabel' in r.test) throw new TtlError('E_INTERNAL', 'a trial mixed multi-label and single-label metrics');
  return { r, curves, val: classificationScores(r.val), test: classificationScores(r.test), uncertainty };
}

/** What a trial's numbers depend on besides its configuration: threads, precision, LibTorch and the CPU's ISA. */
async function trialEnvironment(config: SizedRunConfig, threads: number): Promise<TrialEnvironment> {
  const info = await runtimeInfo();
  return {
    threads, precision: config.autocast === 'bf16' ? 'bf16' : 'fp32', libtorch: info.libtorch, cpu: info.cpuCapability,
    cpuFeatures: info.cpuFeatures, ...(Object.keys(info.isaCaps).length ? { isaCaps: info.isaCaps } : {}),
    ...(config.deterministic ? { deterministic: true } : {}),
  };
}

/**
 * Trains one trial in `dir` (its files go to dir/trials/<id>/) and returns its journal record; with `parallel`,
 * data-parallel over its group's ranks (all of them call this with the same trial).
 */
export async function runTrial(card: ModelCard, config: SizedRunConfig, data: RunData, spec: TrialSpec, dir: string, cb: RunCallbacks, parallel?: TrialParallel): Promise<TrialRecord> {
  const trialDir = join(dir, 'trials', spec.id);
  mkdirSync(trialDir, { recursive: true });
  const threads = await trialThreads(config.threads, trialDir);
  setThreads(threads);
  setDeterministic(config.deterministic);
  const base = {
    type: 'trial' as const, id: spec.id, strategy: spec.strategy, cutoff: spec.cutoff, seed: spec.seed, stage: spec.stage,
    ...(await trialEnvironment(config, threads)),
  };
  const options = trialOptions(card, config, spec, dir, cb, parallel);
  let lr: number | undefined;
  const divergedLrs: number[] = [];
  for (;;) {
    try {
      lr ??= await trialLr(config, data, spec, options, trialDir, cb);
      const { r, curves, val, test, uncertainty } = await trainTrial(card, config, data, spec, dir, cb, { ...options, lr });
      writeFileAtomic(join(trialDir, 'curves.json'), [JSON.stringify(curves, null, 2) + '\n']);
      return {
        ...base, status: 'ok', lr, ...(divergedLrs.length ? { divergedLrs } : {}), val, test, ...uncertainty, params: r.params,
        trainableParams: r.trainableParams, macs: r.macs, bestEpoch: r.bestEpoch, trainSeconds: r.trainSeconds,
        imagesPerSecond: r.imagesPerSecond, finishedAt: new Date().toISOString(),
      };
    } catch (e) {
      if (!(e instanceof TtlError && e.code === 'E_DIVERGED')) throw e;
      // A suggested rate is an estimate: one that diverges costs a retry at a quarter of it, not the trial.
      // A rate the user set is their result; so is a fourth divergence.
      if (config.lr === 'auto' && lr !== undefined && divergedLrs.length < AUTO_LR_RETRIES) {
        divergedLrs.push(lr);
        cb.progress?.(spec, { type: 'stage', stage: `diverged at lr ${lr.toPrecision(2)}, retrying at ${(lr / 4).toPrecision(2)}` });
        lr /= 4;
        continue;
      }
      // A diverging trial is a result (recorded, the search goes on); anything else stops the run.
      return { ...base, status: 'failed', lr, ...(divergedLrs.length ? { divergedLrs } : {}), reason: e.message, finishedAt: new Date().toISOString() };
    }
  }
}

/**
 * search 'probe': linear probes on the frozen pretrained features of every unit (journaled once), then the
 * cutoffs ranked by probe validation AUROC, best first.
 */
async function probeRanking(card: ModelCard, config: SizedRunConfig, data: RunData, dir: string, log: (line: string) => void): Promise<number[]> {
  if (config.search !== 'probe' || segments(config, data)) return [];
  const journal = join(dir, 'journal.jsonl');
  let probes = readJournal(journal).filter((r): r is ProbeRecord => r.type === 'probe');
  if (!probes.length) {
    const start = performance.now();
    const model = await createModel({ model: card.name, head: 'none', weights: config.weights ?? undefined, allowMissing: config.allowMissing, device: config.device });
    try {
      const scores = await probeUnits(model, data, {
        size: config.imageSize, channels: card.input.channels, ...normalisation(card, config.weights),
      });
      const seconds = (performance.now() - start) / 1000 / scores.length;
      probes = scores.map((s) => ({ type: 'probe', k: s.k, unit: s.unit, valAuroc: s.valAuroc, testAuroc: s.testAuroc, seconds }));
      for (const p of probes) appendJournal(journal, p);
    } finally {
      model.dispose();
    }
  }
  for (const p of probes) log(`probe ${p.unit} (k=${p.k}): val AUROC ${p.valAuroc.toFixed(4)}, test AUROC ${p.testAuroc.toFixed(4)}`);
  return [...probes].sort((a, b) => b.valAuroc - a.valAuroc || a.k - b.k).map((p) => p.k);
}

/** What a stage's trials run with and where their records go. */
export interface RunContext {
  card: ModelCard;
  config: SizedRunConfig;
  data: RunData;
  dir: string;
  cb: RunCallbacks;
  /** Ids already journaled. */
  done: Set<string>;
  /** Journals a finished trial (once: done gets its id) and logs it. */
  record(record: TrialRecord): void;
}

/**
 * Runs a stage's trials not yet done and journals each through ctx.record: one after another in this
 * process by default; the distributed run hands them to a queue of workers instead.
 */
export type StageRunner = (trials: TrialSpec[], ctx: RunContext) => Promise<void>;

/** Runs (or resumes) the experiment in config.out; trials already journaled are skipped. */
export async function executeRun(runConfig: RunConfig, cb: RunCallbacks = {}, runStage?: StageRunner): Promise<Results> {
  const dir = runConfig.out;
  const log = cb.log ?? (() => {});
  await preflight(runConfig);
  // 'auto' threads become a count when the run is created, saved with it, so that a resume keeps it. Resolved
  // before the folder is made: loading the addon takes most of a second, and a run killed between the folder
  // and its config.json could not be resumed.
  const sized = await withImageSize(runConfig, log);
  const config = sized.threads === 'auto' ? { ...sized, threads: autoThreads() } : sized;
  makeRunDir(dir);
  const configPath = join(dir, 'config.json');
  if (!existsSync(configPath)) writeFileAtomic(configPath, [JSON.stringify({ ...config, createdAt: new Date().toISOString(), node: process.version }, null, 2) + '\n']);
  // Probes and analyses run with the trials' count too: probes choose cutoffs.
  if (config.threads !== 'adaptive') setThreads(config.threads);
  setDeterministic(config.deterministic);
  log(config.threads === 'adaptive'
    ? 'threads: the free cores when each trial starts (adaptive: results depend on the load)'
    : `threads: ${config.threads} for every trial${config.deterministic ? ', deterministic algorithms' : ''}`);
  const journal = join(dir, 'journal.jsonl');
  const card = getModelCard(config.model);
  const data = await loadRunData(config, log);
  const [primary] = metricsOf(config);
  log(segments(config, data) ? `${data.name}: ${data.kind} segmentation, classes [${data.classes.join(', ')}], train ${data.train.shape[0]}, val ${data.val.shape[0]}, test ${data.test.shape[0]}` : describeDataset(data));

  const done = new Set(trialRecords(readJournal(journal)).map((r) => r.id));
  const stageOne = planStageOne(card, config, await probeRanking(card, config, data, dir, log));
  // Stage 2's size is known once stage 1 has chosen; until then the count assumes a full neighbourhood.
  let total = stageOne.filter((t) => !done.has(t.id)).length + stageTwoBound(card, config);
  let index = 0;
  const started = performance.now();
  const trialSeconds: number[] = [];
  const ctx: RunContext = {
    card, config, data, dir, cb, done,
    record: (record) => {
      appendJournal(journal, record);
      done.add(record.id);
      log(record.status === 'ok'
        ? `done ${record.id}: val ${primary.label} ${record.val![primary.key].toFixed(4)}, test ${primary.label} ${record.test![primary.key].toFixed(4)}, ${record.trainSeconds!.toFixed(1)} s`
        : `failed ${record.id}: ${record.reason}`);
    },
  };
  const runLocally = async (trials: TrialSpec[]) => {
    for (const spec of trials) {
      if (done.has(spec.id)) {
        log(`skip ${spec.id} (journaled)`);
        continue;
      }
      const mean = trialSeconds.length ? trialSeconds.reduce((a, b) => a + b, 0) / trialSeconds.length : null;
      cb.progress?.(spec, {
        type: 'trial', stage: spec.stage, index: ++index, total, elapsedSeconds: (performance.now() - started) / 1000,
        etaSeconds: mean === null ? null : mean * (total - index + 1), finishingSeconds: await finishingEstimate(card, config, dir, data),
      });
      const trialStart = performance.now();
      const record = await runTrial(card, config, data, spec, dir, cb);
      trialSeconds.push((performance.now() - trialStart) / 1000);
      ctx.record(record);
    }
  };
  const runAll = (trials: TrialSpec[]) => (runStage ? runStage(trials.filter((t) => !done.has(t.id)), ctx) : runLocally(trials));
  await runAll(stageOne);
  const summaries = summarise(readJournal(journal), metricsOf(config));
  const bestOne = new Map(config.strategies.filter((s) => SEARCHED_STRATEGIES.includes(s)).flatMap((s) => {
    const b = best(summaries, s, [1]);
    return b ? [[s, b.cutoff] as const] : [];
  }));
  const stageTwo = planStageTwo(card, config, bestOne).filter((t) => !done.has(t.id));
  total = index + stageTwo.length;
  await runAll(stageTwo);
  await finishRun(card, config, dir, data, log, cb.signal);
  return writeReports(dir, config);
}

