// The longest event-loop block (perf_hooks.monitorEventLoopDelay, 1 ms resolution) while `work` runs, and its
// wall time; shared by bench/event-loop.bench.mjs and the fresh processes it starts.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

export async function longestBlock(work) {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  await sleep(20); // the monitor's timer is running before the work starts
  const start = performance.now();
  await work();
  const total = performance.now() - start;
  await sleep(5);
  histogram.disable();
  return { blockMs: histogram.max / 1e6, totalMs: total };
}
