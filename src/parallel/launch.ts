// `ttl-torch run --workers N` on one machine: this process is rank 0; it spawns ranks 1..N-1 as
// `ttl-torch run --resume <run dir> --world-size N --rank R --master 127.0.0.1:<port>` once its store listens.
// The cores are split between the N processes (TTL_TORCH_THREADS for the children, the run's threads here).
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { autoThreads } from '../run/threads.js';
import { packageRoot } from '../package-root.js';

const cli = join(packageRoot, 'dist', 'cli', 'main.js');


export interface LocalWorkers {
  children: ChildProcess[];
  /** Kills the workers that are still running. */
  kill(): void;
}

export function spawnLocalWorkers(runDir: string, workers: number, port: number, extraArgs: string[] = []): LocalWorkers {
  const env = { ...process.env, TTL_TORCH_THREADS: String(autoThreads(workers)) };
  const children = Array.from({ length: workers - 1 }, (_, i) =>
    spawn(process.execPath, [cli, 'run', '--resume', runDir, '--world-size', String(workers), '--rank', String(i + 1),
      '--master', `127.0.0.1:${port}`, ...extraArgs], { stdio: ['ignore', 'inherit', 'inherit'], env }));
  const kill = () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  };
  // A rank 0 that exits for any reason takes its workers with it.
  process.once('exit', kill);
  return { children, kill };
}
