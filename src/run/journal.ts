// journal.jsonl: one line per finished trial (or measurement), appended and fsync'd, so a killed run
// loses at most the trial in flight. A kill mid-write leaves a torn last line: appends repair it first
// (the fragment moves to journal.jsonl.torn) so a new record never lands on a fragment; the reader
// reports every malformed line by number instead of dropping it.
import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';
import { TtlError } from '../errors.js';
import { writePause } from '../fs/test-pause.js';
import { STRATEGY_KINDS, type StrategyKind } from './config.js';
import { TASK_METRICS } from './task.js';

/** Test or validation metrics of a trial by name (auroc, auprc, ... or dice, jaccard, ...). */
export type Scores = Record<string, number>;

/** A 95% interval of a test metric: DeLong or bootstrap (AUROC), normal approximation (mean Dice), t (mean over repeats). */
export interface Interval {
  low: number;
  high: number;
  method: 'delong' | 'bootstrap' | 'normal' | 't';
}

/** What a trial's numbers depend on besides its configuration (records journaled before it was recorded lack it). */
export interface TrialEnvironment {
  /** Intra-op threads, the same from the trial's start to its end (see run/threads.ts). */
  threads: number;
  precision: 'fp32' | 'bf16';
  /** LibTorch version. */
  libtorch: string;
  /** The vector ISA ATen's CPU kernels used (DEFAULT, AVX2, AVX512, ...). */
  cpu: string;
  /** The CPU's instructions that decide kernels and precisions (runtimeInfo().cpuFeatures). */
  cpuFeatures?: string[];
  /** The ISA caps set in the environment (runtimeInfo().isaCaps), when any was. */
  isaCaps?: Record<string, string>;
  /** LibTorch's deterministic algorithms were on. */
  deterministic?: boolean;
}

export interface TrialRecord extends Partial<TrialEnvironment> {
  type: 'trial';
  id: string;
  strategy: StrategyKind;
  cutoff: number;
  seed: number;
  stage: 0 | 1 | 2;
  status: 'ok' | 'failed';
  reason?: string;
  /** The head learning rate the trial trained with (an LR range test's choice under lr 'auto'). */
  lr?: number;
  /** lr 'auto': the rates that diverged before `lr` trained (each a quarter of the previous). */
  divergedLrs?: number[];
  val?: Scores;
  test?: Scores;
  /** Standard error of the selecting validation metric over the validation cases. */
  valSe?: number;
  /** 95% interval of the selecting test metric. */
  testCi?: Interval;
  params?: number;
  trainableParams?: number;
  macs?: number;
  bestEpoch?: number;
  trainSeconds?: number;
  imagesPerSecond?: number;
  finishedAt: string;
}

export interface LatencyRecord {
  type: 'latency';
  strategy: StrategyKind;
  cutoff: number;
  medianMs: number;
  device: string;
}

/** search 'probe': a linear probe on the pretrained features of one unit. */
export interface ProbeRecord {
  type: 'probe';
  k: number;
  unit: string;
  valAuroc: number;
  testAuroc: number;
  seconds: number;
}

export type JournalRecord = TrialRecord | LatencyRecord | ProbeRecord;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
// JSON has no NaN: a metric that was NaN (one class in a split) is stored as null.
const isMetric = (v: unknown) => v === null || (typeof v === 'number' && Number.isFinite(v));
const isCount = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;

/** What is wrong with a parsed line, or null when it is a valid record. */
export function recordProblem(r: unknown): string | null {
  if (!isObject(r)) return `expected a record object, found ${r === null ? 'null' : Array.isArray(r) ? 'an array' : typeof r}`;
  const strategyOk = typeof r.strategy === 'string' && (STRATEGY_KINDS as readonly string[]).includes(r.strategy);
  const cutoffOk = Number.isSafeInteger(r.cutoff) && (r.cutoff as number) >= 1;
  if (r.type === 'trial') {
    if (typeof r.id !== 'string' || !r.id) return 'trial without an id';
    if (!strategyOk) return `trial ${r.id}: strategy ${JSON.stringify(r.strategy)} is not one of ${STRATEGY_KINDS.join(', ')}`;
    if (!cutoffOk) return `trial ${r.id}: cutoff ${JSON.stringify(r.cutoff)} is not a positive integer`;
    if (!isCount(r.seed)) return `trial ${r.id}: seed ${JSON.stringify(r.seed)} is not a non-negative integer`;
    if (r.stage !== 0 && r.stage !== 1 && r.stage !== 2) return `trial ${r.id}: stage ${JSON.stringify(r.stage)} is not 0, 1 or 2`;
    if (r.threads !== undefined && !(Number.isSafeInteger(r.threads) && (r.threads as number) >= 1)) return `trial ${r.id}: threads ${JSON.stringify(r.threads)} is not a positive whole number`;
    if (r.precision !== undefined && r.precision !== 'fp32' && r.precision !== 'bf16') return `trial ${r.id}: precision ${JSON.stringify(r.precision)} is not fp32 or bf16`;
    if (r.status === 'failed') return typeof r.reason === 'string' ? null : `failed trial ${r.id} has no reason`;
    if (r.status !== 'ok') return `trial ${r.id}: status ${JSON.stringify(r.status)} is not 'ok' or 'failed'`;
    for (const split of ['val', 'test'] as const) {
      const scores = r[split];
      if (!isObject(scores) || !Object.keys(scores).length) return `trial ${r.id} has no ${split} metrics`;
      const wrong = Object.entries(scores).find(([, v]) => !isMetric(v));
      if (wrong) return `trial ${r.id}: ${split}.${wrong[0]} is ${JSON.stringify(wrong[1])}, not a number`;
      // The report's columns: a record must carry both metrics of its task.
      if (!Object.values(TASK_METRICS).some((columns) => columns.every((c) => c.key in scores)))
        return `trial ${r.id}: ${split} has neither ${Object.values(TASK_METRICS).map((cs) => cs.map((c) => c.key).join(' and ')).join(' nor ')}`;
    }
    for (const key of ['params', 'trainableParams', 'macs', 'bestEpoch', 'trainSeconds', 'imagesPerSecond'])
      if (r[key] !== undefined && !isMetric(r[key])) return `trial ${r.id}: ${key} is ${JSON.stringify(r[key])}, not a number`;
    return null;
  }
  if (r.type === 'latency') {
    if (!strategyOk || !cutoffOk) return `latency record without a valid strategy and cutoff`;
    if (typeof r.medianMs !== 'number' || !(r.medianMs >= 0)) return `latency record: medianMs ${JSON.stringify(r.medianMs)} is not a non-negative number`;
    return typeof r.device === 'string' ? null : 'latency record without a device';
  }
  if (r.type === 'probe') {
    if (!Number.isSafeInteger(r.k) || (r.k as number) < 1 || typeof r.unit !== 'string') return 'probe record without a valid k and unit';
    for (const key of ['valAuroc', 'testAuroc', 'seconds']) if (!isMetric(r[key])) return `probe record k=${r.k}: ${key} is not a number`;
    return null;
  }
  return `unknown record type ${JSON.stringify(r.type)} (expected trial, latency or probe)`;
}

function parseRecord(line: string): JournalRecord | null {
  try {
    const r = JSON.parse(line) as unknown;
    return recordProblem(r) === null ? (r as JournalRecord) : null;
  } catch {
    return null;
  }
}

const TAIL_CHUNK = 64 * 1024;

/** Offset just after the last newline of an open file of `size` bytes (0 when there is none). */
function afterLastNewline(fd: number, size: number): number {
  const chunk = Buffer.alloc(TAIL_CHUNK);
  for (let end = size; end > 0; end -= TAIL_CHUNK) {
    const start = Math.max(0, end - TAIL_CHUNK);
    const n = readSync(fd, chunk, 0, end - start, start);
    const i = chunk.subarray(0, n).lastIndexOf(0x0a);
    if (i >= 0) return start + i + 1;
  }
  return 0;
}

/** Writes all of `bytes` at `position` (default: the end, for files opened to append). */
function writeAll(fd: number, bytes: Buffer, position: number | null = null): void {
  let written = 0;
  const at = () => (position === null ? null : position + written);
  if (process.env.TTL_TORCH_TEST_WRITE_PAUSE_MS && bytes.length > 1) {
    written = writeSync(fd, bytes, 0, bytes.length >> 1, at());
    writePause();
  }
  while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written, at());
}

/**
 * Makes the journal end with a newline: a complete record cut before its newline gets one; a torn
 * fragment is appended to `<path>.torn` (kept for inspection) and truncated away. Returns the fragment.
 */
export function repairJournal(path: string): string | null {
  if (!existsSync(path)) return null;
  const fd = openSync(path, 'r+');
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return null;
    const last = Buffer.alloc(1);
    readSync(fd, last, 0, 1, size - 1);
    if (last[0] === 0x0a) return null;
    const cut = afterLastNewline(fd, size);
    const fragment = Buffer.alloc(size - cut);
    readSync(fd, fragment, 0, fragment.length, cut);
    const text = fragment.toString('utf8');
    if (parseRecord(text)) {
      writeAll(fd, Buffer.from('\n'), size);
    } else {
      const torn = openSync(`${path}.torn`, 'a');
      try {
        writeAll(torn, Buffer.concat([fragment, Buffer.from('\n')]));
        fsyncSync(torn);
      } finally {
        closeSync(torn);
      }
      ftruncateSync(fd, cut);
    }
    fsyncSync(fd);
    return text;
  } finally {
    closeSync(fd);
  }
}

export function appendJournal(path: string, record: JournalRecord): void {
  repairJournal(path);
  const fd = openSync(path, 'a');
  try {
    writeAll(fd, Buffer.from(JSON.stringify(record) + '\n'));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

const warned = new Set<string>();

/** Default for warnings: Node's process warnings, each message once per process. */
function emitOnce(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  process.emitWarning(message, { type: 'TtlWarning' });
}

/**
 * The journal's records. A malformed line is an E_BAD_RUN error naming the file and line; an
 * unterminated last line (a write cut short by a kill) is skipped with a warning; a trial recorded twice
 * keeps its first record, with a warning.
 */
export function readJournal(path: string, onWarning: (message: string) => void = emitOnce): JournalRecord[] {
  if (!existsSync(path)) return [];
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new TtlError('E_BAD_RUN', `${path}: cannot read the journal: ${(e as Error).message}`);
  }
  const lines = text.split('\n');
  const records: JournalRecord[] = [];
  const firstLine = new Map<string, number>();
  for (const [i, line] of lines.entries()) {
    if (!line.trim()) continue;
    const where = `${path} line ${i + 1}`;
    const unterminated = i === lines.length - 1;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (e) {
      if (unterminated) {
        onWarning(`${where} is incomplete (a write cut short); it is ignored and moved to ${path}.torn by the next append`);
        continue;
      }
      throw new TtlError('E_BAD_RUN', `${where}: not valid JSON (${(e as Error).message})`);
    }
    const problem = recordProblem(parsed);
    if (problem) throw new TtlError('E_BAD_RUN', `${where}: ${problem}`);
    const record = parsed as JournalRecord;
    if (record.type === 'trial') {
      const first = firstLine.get(record.id);
      if (first !== undefined) {
        onWarning(`${where}: trial ${record.id} is already recorded at line ${first}; the first record is kept`);
        continue;
      }
      firstLine.set(record.id, i + 1);
    }
    records.push(record);
  }
  return records;
}

export const trialRecords = (records: JournalRecord[]) => records.filter((r): r is TrialRecord => r.type === 'trial');
