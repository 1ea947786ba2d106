// The queue of trials of a distributed run, kept in the c10d store that rank 0 serves. Keys:
//   meta               what every rank must agree on (ttl-torch version, LibTorch, config hash)
//   q/len, q/<n>       slots appended by rank 0: slot n holds a TrialSpec
//   q/next             the ticket dispenser: add(q/next, 1) - 1 is the slot a worker takes (it may not exist
//                      yet: the worker waits for it, or for stop)
//   ticket/<n>         the rank holding slot n's ticket
//   alive/<rank>       heartbeat counter, bumped every second by a live worker (its lease)
//   result/<n>         the finished trial's record and file list; file/<n>/<path> its files' bytes
//   refused/<rank>     why a worker refused to join (version or config mismatch)
//   stop               set once the run needs no more trials
//   ddp/<n>            data-parallel runs instead: the n-th trial, which every rank trains together
// A slot whose ticket holder's heartbeat stops for `leaseMs` is appended again as a new slot; the first result
// for a trial id wins, so a trial is journaled exactly once even when a slow worker finishes it late.
import type { TrialRecord } from '../run/journal.js';
import type { TrialSpec } from '../run/plan.js';
import type { KeyStore } from './c10d.js';

export interface RunMeta {
  ttlTorch: string;
  libtorch: string;
  configHash: string;
  /** trial-parallel, data-parallel (with SyncBatchNorm): every rank must run the same way. */
  mode: string;
}

export interface TrialFile {
  /** Path relative to the trial's folder (trials/<id>/). */
  path: string;
  data: Uint8Array;
}

export interface PostedResult {
  slot: number;
  record: TrialRecord;
  files: TrialFile[];
}

const HEARTBEAT_MS = 1000;
const POLL_MS = 500;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits for `key`; false once rank 0 set stop instead. `lost` is checked between polls (the master is gone). */
export async function keyOrStop(store: KeyStore, key: string, lost: () => Error | undefined = () => undefined): Promise<boolean> {
  for (;;) {
    const error = lost();
    if (error) throw error;
    if (await store.wait([key], POLL_MS)) return true;
    if (await store.has('stop')) return false;
  }
}

/** What every worker does with the queue: take a slot, keep its lease alive, post the result. */
export class QueueWorker {
  private timer: NodeJS.Timeout | undefined;
  private beating: Promise<unknown> = Promise.resolve();
  lost: Error | undefined;

  /** `onLost` hears once that the store stopped answering (the master is gone): the trial in flight can stop. */
  constructor(private readonly store: KeyStore, readonly rank: number, private readonly onLost: (error: Error) => void = () => {}) {}

  /** Starts the heartbeat; a store that stops answering is remembered in `lost`. */
  startHeartbeat(): void {
    const beat = () => {
      this.beating = this.store.add(`alive/${this.rank}`, 1).catch((e: Error) => {
        if (this.lost) return;
        this.lost = e;
        this.onLost(e);
      });
    };
    beat();
    this.timer = setInterval(beat, HEARTBEAT_MS);
    this.timer.unref();
  }

  async stopHeartbeat(): Promise<void> {
    clearInterval(this.timer);
    await this.beating;
  }

  /** The next trial for this rank (its slot, and how many slots there are so far), or null once rank 0 says stop. */
  async take(): Promise<{ slot: number; slots: number; spec: TrialSpec } | null> {
    if (await this.store.has('stop')) return null;
    const slot = (await this.store.add('q/next', 1)) - 1;
    await this.store.set(`ticket/${slot}`, String(this.rank));
    if (!(await keyOrStop(this.store, `q/${slot}`, () => this.lost))) return null;
    return { slot, slots: await this.store.add('q/len', 0), spec: await this.store.getJson<TrialSpec>(`q/${slot}`) };
  }

  async post(result: PostedResult): Promise<void> {
    for (const f of result.files) await this.store.set(`file/${result.slot}/${f.path}`, f.data);
    await this.store.setJson(`result/${result.slot}`, { record: result.record, files: result.files.map((f) => f.path) });
  }
}

interface Outstanding {
  spec: TrialSpec;
  /** The rank's heartbeat when this slot was last seen alive, and when. */
  since: number;
}

/** Rank 0's side: append slots, collect results, hand abandoned slots out again. */
export class QueueCoordinator {
  private length = 0;
  private readonly outstanding = new Map<number, Outstanding>();
  private readonly heartbeats = new Map<number, { count: number; at: number }>();
  private readonly refusals = new Set<number>();

  constructor(private readonly store: KeyStore, private readonly worldSize: number, private readonly leaseMs: number, private readonly log: (line: string) => void) {}

  private async append(spec: TrialSpec): Promise<void> {
    const slot = this.length++;
    await this.store.setJson(`q/${slot}`, spec);
    await this.store.add('q/len', 1);
    this.outstanding.set(slot, { spec, since: Date.now() });
  }

  /**
   * Runs `specs` through the queue until each has a result; `accept` is called once per result posted, in
   * arrival order (it journals the first one of each trial id and ignores later duplicates).
   */
  async run(specs: TrialSpec[], accept: (result: PostedResult) => Promise<void>, signal?: AbortSignal): Promise<void> {
    for (const spec of specs) await this.append(spec);
    const wanted = new Set(specs.map((s) => s.id));
    while (wanted.size) {
      if (signal?.aborted) throw signal.reason ?? new Error('aborted');
      await sleep(POLL_MS);
      await this.noteRefusals();
      for (const [slot, entry] of [...this.outstanding]) {
        if (await this.store.has(`result/${slot}`)) {
          this.outstanding.delete(slot);
          const result = await this.fetch(slot);
          if (wanted.delete(result.record.id)) await accept(result);
          continue;
        }
        if (!wanted.has(entry.spec.id)) continue;
        if (await this.abandoned(slot, entry)) {
          this.outstanding.delete(slot);
          this.log(`requeue ${entry.spec.id}: its worker stopped answering for ${(this.leaseMs / 1000).toFixed(0)} s`);
          await this.append(entry.spec);
        }
      }
    }
  }

  /** Tells every worker to leave (they finish nothing more). */
  async stop(): Promise<void> {
    await this.store.set('stop', '1');
  }

  private async fetch(slot: number): Promise<PostedResult> {
    const posted = await this.store.getJson<{ record: TrialRecord; files: string[] }>(`result/${slot}`);
    const files: TrialFile[] = [];
    for (const path of posted.files) {
      files.push({ path, data: await this.store.get(`file/${slot}/${path}`) });
      await this.store.delete(`file/${slot}/${path}`);
    }
    return { slot, record: posted.record, files };
  }

  /** True when the slot's ticket holder (if any) has not bumped its heartbeat for the lease time. */
  private async abandoned(slot: number, entry: Outstanding): Promise<boolean> {
    if (!(await this.store.has(`ticket/${slot}`))) {
      // Nobody holds it yet (a live worker will take it), unless a worker drew its ticket and died before
      // writing ticket/<n>.
      return (await this.store.add('q/next', 0)) > slot && Date.now() - entry.since > this.leaseMs;
    }
    const rank = Number(new TextDecoder().decode(await this.store.get(`ticket/${slot}`)));
    const count = await this.store.add(`alive/${rank}`, 0);
    const now = Date.now();
    const seen = this.heartbeats.get(rank);
    if (!seen || seen.count !== count) {
      this.heartbeats.set(rank, { count, at: now });
      return false;
    }
    return now - Math.max(seen.at, entry.since) > this.leaseMs;
  }

  private async noteRefusals(): Promise<void> {
    for (let rank = 1; rank < this.worldSize; rank++) {
      if (this.refusals.has(rank) || !(await this.store.has(`refused/${rank}`))) continue;
      this.refusals.add(rank);
      this.log(`rank ${rank} refused to join: ${new TextDecoder().decode(await this.store.get(`refused/${rank}`))}`);
    }
  }
}
