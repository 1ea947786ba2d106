// How many intra-op threads a run's trials use. LibTorch's reductions split their work by the thread count, so
// the count is part of what a trial computes (SqueezeNet, one BreastMNIST epoch: test AUROC 0.674 with 1 thread,
// 0.721 with 2). A trial therefore runs with one count from its start to its end, recorded in its journal record
// and in trials/<id>/threads.json, which a resumed run reads back for the trial it redoes.
//   'auto' (default): the cores this process may use (affinity and cgroup quota; TTL_TORCH_THREADS where set),
//     resolved once when the run is created and saved in config.json: the same count for every trial, whatever
//     the neighbours do, so the same configuration gives the same numbers.
//   'adaptive': each trial starts with the cores other processes leave free then (faster beside a CPU-bound
//     neighbour, where all cores train slower than one), at the price of results that depend on the load.
//   a number: that count.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { invalidParameterError } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { readRunJsonAs } from '../fs/json.js';
import { envThreads, native } from '../native/loader.js';
import { cpuLimit } from '../runtime.js';
import { integerIn } from '../validate.js';

export type RunThreads = number | 'auto' | 'adaptive';

export function checkThreads(value: unknown): RunThreads {
  if (value === 'auto' || value === 'adaptive') return value;
  if (typeof value === 'string' && /^\d+$/.test(value)) return integerIn('threads', Number(value), 1, 1024);
  if (typeof value === 'number') return integerIn('threads', value, 1, 1024);
  throw invalidParameterError('threads', "a whole number of threads (1..1024), 'auto' or 'adaptive'", value);
}

/** 'auto' as a count: TTL_TORCH_THREADS where it names one, else the cores this process may use, split between `workers`. */
export function autoThreads(workers = 1): number {
  const pinned = envThreads();
  if (pinned) return pinned;
  return Math.max(1, Math.floor(cpuLimit().cores / workers));
}

const threadsFile = (trialDir: string) => join(trialDir, 'threads.json');

/**
 * The count trial `trialDir` runs with: the one it recorded when it first started (a resumed trial), else the
 * run's (measured now under 'adaptive'); recorded before the trial trains.
 */
export async function trialThreads(threads: RunThreads, trialDir: string): Promise<number> {
  const path = threadsFile(trialDir);
  if (existsSync(path))
    return readRunJsonAs<{ threads: number }>(path, (v) => {
      const t = (v as { threads?: unknown } | null)?.threads;
      return Number.isSafeInteger(t) && (t as number) >= 1 ? null : 'threads must be a positive whole number';
    }).threads;
  const count = threads === 'adaptive' ? await native().freeThreads() : threads === 'auto' ? autoThreads() : threads;
  writeFileAtomic(path, [JSON.stringify({ threads: count }) + '\n']);
  return count;
}
