// What a run does after its trials: the batch-1 latency of the table's rows, then the analyses (SVCCA, the
// Grad-CAM figure, mask overlays). Each step is announced with its estimate and logged with its time, and the
// whole phase's estimate is part of the run's ETA. Estimates come from the trials' own training speed (FLOP/s),
// scaled by what each step computes; the efficiency factors below were fitted on ResNet-50 v2 and SqueezeNet
// runs on this project's 2-core machine (the log prints estimate beside actual, so a miss shows).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { TtlError } from '../errors.js';
import { createModel } from '../model.js';
import type { ModelCard } from '../registry.js';
import { appendJournal, readJournal, trialRecords, type JournalRecord } from './journal.js';
import { median } from '../metrics/stats.js';
import { resultsByCutoff, table, type TableRow } from './results.js';
import { metricsOf } from './task.js';
import { toStrategy } from './plan.js';
import { planStrategy } from '../train/strategies.js';
import { inputShape, type RunData } from './run-data.js';
import type { AnalysisKind, SizedRunConfig } from './config.js';
import { runSvcca, svccaFlops, SVCCA_SAMPLES } from './analyses/svcca.js';
import { runGradcamFigure, GRADCAM_IMAGES } from './analyses/gradcam.js';
import { runMaskOverlays } from './analyses/overlays.js';

/** How each row's model is timed: warmed alone, then interleaved rounds of a short warm-up and timed runs. */
const LATENCY = { warmup: 20, rounds: 3, roundWarmup: 2, roundRuns: 10 };
/** Forward passes that makes per model, for the estimate. */
const LATENCY_PASSES = LATENCY.warmup + LATENCY.rounds * (LATENCY.roundWarmup + LATENCY.roundRuns);
// Rates relative to training's FLOP/s: a batch-1 forward uses the cores far less well than a training batch,
// SVCCA's float64 linear algebra about 0.6 as well (half the vector width, GEMM-bound); building each model
// costs about half a second besides.
const BATCH1_EFFICIENCY = 0.25;
const FLOAT64_EFFICIENCY = 0.6;
const MODEL_SECONDS = 0.5;

/** A step after the trials: what it is, what it costs (seconds, estimated), and the step itself. */
interface FinishingStep {
  name: string;
  estimate: number;
  run: () => Promise<string>;
}

/** Training FLOP/s of the run's finished trials (a training step is ~3 forwards of 2 FLOP per MAC): their median. */
function trainingRate(records: JournalRecord[]): number | null {
  const rates = trialRecords(records).filter((t) => t.status === 'ok' && t.imagesPerSecond && t.macs).map((t) => 6 * t.imagesPerSecond! * t.macs!);
  return rates.length ? median(rates) : null;
}

/** Channels of the card's block ends: what SVCCA's cost grows with (one model built per process to read them). */
const widthsByModel = new Map<string, Promise<number[]>>();
function blockWidths(card: ModelCard): Promise<number[]> {
  if (!widthsByModel.has(card.name))
    widthsByModel.set(card.name, createModel({ model: card.name, head: 'none', device: 'cpu' }).then((m) => {
      const widths = card.blocks.map((k) => m.units.find((u) => u.k === k)!.outChannels);
      m.dispose();
      return widths;
    }));
  return widthsByModel.get(card.name)!;
}

/** The table's rows and every searched block boundary (the TTL-B1..B4 rows), each once. */
function latencyRows(card: ModelCard, config: SizedRunConfig, records: JournalRecord[]): TableRow[] {
  const metrics = metricsOf(config);
  const candidates = [...table(records, metrics), ...resultsByCutoff(records, metrics, card.blocks).filter((row) => card.blocks.includes(row.cutoff))];
  return candidates.filter((row, i) => candidates.findIndex((o) => o.strategy === row.strategy && o.cutoff === row.cutoff) === i);
}

const macsOf = (records: JournalRecord[], strategy: string, cutoff: number) =>
  trialRecords(records).find((t) => t.strategy === strategy && t.cutoff === cutoff && t.macs)?.macs ?? 0;

/**
 * Latency of each row (batch 1), measured once per run: every model is warmed with 20 passes, then the models
 * are timed in interleaved rounds so they share the machine's noise; median per model.
 */
function latencyStep(card: ModelCard, config: SizedRunConfig, dir: string, data: RunData, records: JournalRecord[], rate: number): FinishingStep | null {
  const journal = join(dir, 'journal.jsonl');
  const rows = latencyRows(card, config, records);
  const measured = (row: TableRow) => records.some((r) => r.type === 'latency' && r.strategy === row.strategy && r.cutoff === row.cutoff);
  if (rows.every(measured)) return null;
  // A row is missing (new trials, or a resumed run): every row is timed again in one session, so all the T(ms)
  // of a table share the machine's state; the newest records win.
  const estimate = rows.reduce((a, row) => a + MODEL_SECONDS + (LATENCY_PASSES * 2 * macsOf(records, row.strategy, row.cutoff)) / (BATCH1_EFFICIENCY * rate), 0);
  return {
    name: `latency of ${rows.length} models`, estimate,
    run: async () => {
      const shape = inputShape(card, config, data);
      const head = config.task === 'segmentation' ? 'unet' : 'linear';
      const models = await Promise.all(rows.map((row) => {
        const plan = planStrategy(card, toStrategy(card, row.strategy, row.cutoff));
        return createModel({ model: card.name, cutoff: plan.keepUnits, slimAfter: plan.slimAfter, head, numClasses: data.classes.length, device: config.device });
      }));
      try {
        const times: number[][] = models.map(() => []);
        for (const model of models) await model.latency(shape, { warmup: LATENCY.warmup, runs: 1 });
        for (let round = 0; round < LATENCY.rounds; round++)
          for (const [i, model] of models.entries()) times[i].push(...(await model.latency(shape, { warmup: LATENCY.roundWarmup, runs: LATENCY.roundRuns })).times);
        rows.forEach((row, i) => {
          appendJournal(journal, { type: 'latency', strategy: row.strategy, cutoff: row.cutoff, medianMs: median(times[i]), device: models[i].device });
        });
      } finally {
        for (const model of models) model.dispose();
      }
      return 'journaled';
    },
  };
}

/**
 * The analyses that tell the paper's story next to the table: how far finetuning moved each unit (SVCCA) and
 * where FTL and TTL look (Grad-CAM). Done once; one a run cannot have (3D, segmentation, colour images for the
 * figure) says why in the log.
 */
async function analysisSteps(card: ModelCard, config: SizedRunConfig, dir: string, data: RunData, records: JournalRecord[], rate: number, signal?: AbortSignal): Promise<FinishingStep[]> {
  // Forward FLOPs of the full network per image at `size` px (MACs grow with the pixels).
  const full = Math.max(0, ...trialRecords(records).map((t) => t.macs ?? 0));
  const forward = (size = config.imageSize) => (2 * full * (size / config.imageSize) ** 2) / rate;
  const samples = Math.min(SVCCA_SAMPLES, data.train.shape[0]);
  const svccaSeconds = config.analyses.includes('svcca')
    ? 3 * MODEL_SECONDS + 3 * samples * forward() + svccaFlops(await blockWidths(card), samples) / (FLOAT64_EFFICIENCY * rate)
    : 0;
  const steps: Record<AnalysisKind, { file: string; estimate: number; run: () => Promise<unknown> }> = {
    // Block ends only: CCA over a 2048-wide unit needs ~12k datapoints.
    svcca: { file: 'svcca.json', estimate: svccaSeconds, run: () => runSvcca(dir, { samples: SVCCA_SAMPLES, units: card.blocks, signal }) },
    // Two networks, forward and backward, on a few 128 px test images.
    gradcam: { file: 'gradcam-ftl-vs-ttl.png', estimate: 2 * MODEL_SECONDS + 2 * 3 * GRADCAM_IMAGES * forward(128), run: () => runGradcamFigure(dir) },
    masks: { file: 'masks.png', estimate: MODEL_SECONDS + data.test.shape[0] * forward(), run: () => runMaskOverlays(dir, { signal }) },
  };
  return config.analyses.filter((kind) => !existsSync(join(dir, 'analysis', steps[kind].file))).map((kind) => ({
    name: `analysis ${kind}`, estimate: steps[kind].estimate,
    run: async () => {
      try {
        await steps[kind].run();
        return `written to ${join(dir, 'analysis')}`;
      } catch (e) {
        // The trials are journaled and the table stands: an analysis that cannot be made is reported, not fatal.
        if (!(e instanceof TtlError) || signal?.aborted) throw e;
        return `not made: ${e.message}`;
      }
    },
  }));
}

async function finishingSteps(card: ModelCard, config: SizedRunConfig, dir: string, data: RunData, signal?: AbortSignal): Promise<FinishingStep[]> {
  const records = readJournal(join(dir, 'journal.jsonl'));
  // Before any trial has finished there is no speed to scale by: only model building is counted until then.
  const rate = trainingRate(records) ?? Infinity;
  const latency = latencyStep(card, config, dir, data, records, rate);
  return [...(latency ? [latency] : []), ...(await analysisSteps(card, config, dir, data, records, rate, signal))];
}

/** Seconds the steps after the trials are expected to take, from the trials journaled so far (0 before any). */
export async function finishingEstimate(card: ModelCard, config: SizedRunConfig, dir: string, data: RunData): Promise<number> {
  return (await finishingSteps(card, config, dir, data)).reduce((a, s) => a + s.estimate, 0);
}

const duration = (seconds: number) => (seconds >= 90 ? `${(seconds / 60).toFixed(1)} min` : `${Math.max(1, Math.round(seconds))} s`);

/** Runs the steps after the trials, each announced with its estimate and the phase's ETA, and logged with its time. */
export async function finishRun(card: ModelCard, config: SizedRunConfig, dir: string, data: RunData, log: (line: string) => void, signal?: AbortSignal): Promise<void> {
  const steps = await finishingSteps(card, config, dir, data, signal);
  if (steps.length) log(`after the trials: ${steps.map((s) => `${s.name} (~${duration(s.estimate)})`).join(', ')}`);
  // The ETA scales the steps left by how the finished ones compared with their estimates.
  let spent = 0;
  let estimated = 0;
  for (const [i, step] of steps.entries()) {
    const left = steps.slice(i).reduce((a, s) => a + s.estimate, 0) * (estimated > 0 ? spent / estimated : 1);
    log(`[finishing ${i + 1}/${steps.length}, ETA ${duration(left)}] ${step.name}`);
    const start = performance.now();
    const outcome = await step.run();
    const seconds = (performance.now() - start) / 1000;
    spent += seconds;
    estimated += step.estimate;
    log(`${step.name}: ${outcome} (${duration(seconds)}, estimated ${duration(step.estimate)})`);
  }
}
