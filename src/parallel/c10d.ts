// LibTorch's c10d from TypeScript: a TCPStore (rendezvous + shared key-value store) and Gloo/NCCL process
// groups. Options are checked here; the native side only keeps its invariants.
import { TtlError, invalidParameterError } from '../errors.js';
import { call } from '../native/call.js';
import type { Model } from '../model.js';
import { native } from '../native/loader.js';
import type { NativeDataParallelOptions, NativeDistGroup, NativeDistStore } from '../native/binding.js';
import { booleanOf, integerIn, isObject, isString, oneOf } from '../validate.js';

/** What this build can do: c10d with Gloo (CPU), and NCCL (CUDA) when LibTorch has it. */
export function distributedSupport(): { gloo: boolean; nccl: boolean } {
  return native().distributedSupport();
}

function requireC10d(): void {
  if (!distributedSupport().gloo)
    throw new TtlError('E_NO_DISTRIBUTED', 'this ttl-torch build has no c10d: rebuild against a LibTorch with distributed support (Debian: install libgloo-dev first)');
}

export interface StoreOptions {
  /** Address of rank 0 (the server binds there; clients connect there). */
  host: string;
  /** 0 on the server: a free port, read back from `store.port`. */
  port: number;
  isServer?: boolean;
  /** Bound on connecting and on every blocking get (default 30 s). */
  timeoutMs?: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The c10d store the ranks share: rank 0 serves it, the others connect. */
export class KeyStore {
  private constructor(private readonly store: NativeDistStore, readonly address: string) {}

  static async open(options: StoreOptions): Promise<KeyStore> {
    if (!isObject(options)) throw invalidParameterError('options', 'an object', options);
    if (!isString(options.host) || !options.host) throw invalidParameterError('host', 'a host name or address', options.host);
    const port = integerIn('port', options.port, options.isServer ? 0 : 1, 65535);
    const timeoutMs = integerIn('timeoutMs', options.timeoutMs ?? 30_000, 1, 3_600_000);
    requireC10d();
    const store = new (native().DistStore)();
    const address = await call(() => store.connect({ host: options.host, port, isServer: Boolean(options.isServer), timeoutMs }));
    return new KeyStore(store, address);
  }

  get port(): number {
    return this.store.port();
  }

  async set(key: string, value: Uint8Array | string): Promise<void> {
    await call(() => this.store.set(key, typeof value === 'string' ? encoder.encode(value) : value));
  }

  async setJson(key: string, value: unknown): Promise<void> {
    await this.set(key, JSON.stringify(value));
  }

  /** Waits up to the store's timeout for the key. */
  async get(key: string): Promise<Uint8Array> {
    return call(() => this.store.get(key));
  }

  async getJson<T>(key: string): Promise<T> {
    return JSON.parse(decoder.decode(await this.get(key))) as T;
  }

  /** Atomic add; returns the new value (add(key, 0) reads a counter). */
  async add(key: string, delta: number): Promise<number> {
    return call(() => this.store.add(key, delta));
  }

  async has(...keys: string[]): Promise<boolean> {
    return call(() => this.store.check(keys));
  }

  /** True once every key exists, false after timeoutMs. */
  async wait(keys: string[], timeoutMs: number): Promise<boolean> {
    return call(() => this.store.wait(keys, timeoutMs));
  }

  async delete(key: string): Promise<boolean> {
    return call(() => this.store.delete(key));
  }

  close(): void {
    this.store.close();
  }

  /** @internal For joining a process group on this store. */
  get handle(): NativeDistStore {
    return this.store;
  }
}

export interface GroupOptions {
  /** Keys of this group live under group/<name>/ in the store: one name per group formed. */
  name: string;
  rank: number;
  worldSize: number;
  backend?: 'gloo' | 'nccl';
  /** Gloo: the address the other ranks reach this one on (default: GLOO_SOCKET_IFNAME, else the host name's). */
  hostname?: string;
  timeoutMs?: number;
}

/** A c10d process group; joining waits until all `worldSize` ranks joined (bounded by timeoutMs). */
export class ProcessGroup {
  /** @internal The native group, for the model that trains over it. */
  readonly handle: NativeDistGroup;

  private constructor(handle: NativeDistGroup, readonly rank: number, readonly worldSize: number) {
    this.handle = handle;
  }

  static async join(store: KeyStore, options: GroupOptions): Promise<ProcessGroup> {
    if (!isObject(options)) throw invalidParameterError('options', 'an object', options);
    if (!isString(options.name) || !options.name) throw invalidParameterError('name', 'a non-empty string', options.name);
    const worldSize = integerIn('worldSize', options.worldSize, 1, 65536);
    const rank = integerIn('rank', options.rank, 0, worldSize - 1);
    const backend = oneOf('backend', options.backend ?? 'gloo', ['gloo', 'nccl'] as const);
    if (backend === 'nccl' && !distributedSupport().nccl)
      throw new TtlError('E_NO_NCCL', "backend 'nccl' needs a CUDA LibTorch with NCCL; this build has only 'gloo'");
    const timeoutMs = integerIn('timeoutMs', options.timeoutMs ?? 60_000, 1, 3_600_000);
    const group = new (native().DistGroup)();
    await call(() => group.join(store.handle, { name: options.name, rank, worldSize, backend, hostname: options.hostname ?? '', timeoutMs }));
    return new ProcessGroup(group, rank, worldSize);
  }

  async barrier(): Promise<void> {
    await call(() => this.handle.barrier());
  }
}

export interface DataParallelOptions {
  /**
   * SyncBatchNorm: batch norms in training mode normalise with the mean and variance of the whole global batch
   * (all ranks' rows) and update their running statistics with them, as torch.nn.SyncBatchNorm; default false:
   * each rank's own rows, as PyTorch's DDP. Costs one small all-reduce per batch norm in forward and in backward.
   */
  syncBatchNorm?: boolean;
  /**
   * Start each gradient bucket's all-reduce as soon as backward has produced its gradients (as DDP's Reducer)
   * instead of after backward; the averaged gradients are the same.
   */
  overlap?: boolean;
}

/** The data-parallel options checked and completed (every field present, as the native side expects). */
export function dataParallelOptions(options: DataParallelOptions): NativeDataParallelOptions {
  if (!isObject(options)) throw invalidParameterError('options', 'an object', options);
  return {
    syncBatchNorm: booleanOf('syncBatchNorm', options.syncBatchNorm ?? false),
    overlap: booleanOf('overlap', options.overlap ?? false),
  };
}

/**
 * Makes `model` data-parallel over `group`: its weights and buffers become rank 0's, and from then on every
 * training step averages the gradients over the ranks (after backward, in buckets) before the optimiser step.
 */
export async function makeDataParallel(model: Model, group: ProcessGroup, options: DataParallelOptions = {}): Promise<void> {
  await model.setGroup(group.handle, dataParallelOptions(options));
  await model.broadcastState(0);
}
