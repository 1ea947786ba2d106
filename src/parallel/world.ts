// Where this process sits in a distributed run: from --world-size/--rank/--master, else from the variables
// torchrun, Slurm jobs (exported by the job script) and Kubernetes set: WORLD_SIZE, RANK, MASTER_ADDR, MASTER_PORT.
import { invalidParameterError } from '../errors.js';
import { integerIn } from '../validate.js';

export interface World {
  worldSize: number;
  rank: number;
  masterHost: string;
  /** 0 on rank 0 of a one-machine run: a free port, handed to the workers it spawns. */
  masterPort: number;
}

export interface WorldFlags {
  worldSize?: string;
  rank?: string;
  master?: string;
}

const DEFAULT_PORT = 29500;

/** The world of this process, or null when neither flags nor environment ask for more than one rank. */
export function resolveWorld(flags: WorldFlags, env: NodeJS.ProcessEnv = process.env): World | null {
  const sizeText = flags.worldSize ?? env.WORLD_SIZE;
  if (sizeText === undefined) return null;
  const worldSize = integerIn(flags.worldSize !== undefined ? '--world-size' : 'WORLD_SIZE', Number(sizeText), 1, 65536);
  const rankText = flags.rank ?? env.RANK ?? '0';
  const rank = integerIn(flags.rank !== undefined ? '--rank' : 'RANK', Number(rankText), 0, worldSize - 1);
  let masterHost = env.MASTER_ADDR ?? '127.0.0.1';
  let portText = env.MASTER_PORT ?? String(DEFAULT_PORT);
  if (flags.master !== undefined) {
    const match = /^(.+):(\d+)$/.exec(flags.master);
    if (!match) throw invalidParameterError('--master', 'HOST:PORT', flags.master);
    [, masterHost, portText] = match;
  }
  const masterPort = integerIn(flags.master !== undefined ? '--master port' : 'MASTER_PORT', Number(portText), 1, 65535);
  return { worldSize, rank, masterHost, masterPort };
}
