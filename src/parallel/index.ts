// ttl-torch/parallel: c10d from Node (TCPStore, Gloo/NCCL process groups, data-parallel training) and the
// trial-parallel search over processes and machines that `ttl-torch run --workers/--world-size` uses.
export { KeyStore, ProcessGroup, makeDataParallel, distributedSupport, type StoreOptions, type GroupOptions, type DataParallelOptions } from './c10d.js';
export { executeDistributed, runWorker, type DistributedOptions } from './run.js';
export { resolveWorld, type World, type WorldFlags } from './world.js';
