// How `ttl-torch run` shows a run's progress: "[trial 3/9, run ETA 12 min]" lines; in a terminal a live line per
// batch, otherwise a plain line at most every 15 s within long epochs; with --json, one JSON object per event.
import type { RunConfig } from '../run/config.js';
import type { TrialSpec } from '../run/plan.js';
import type { RunProgress } from '../run/runner.js';
import { metricsOf } from '../run/task.js';

export function progressPrinter(config: RunConfig, json: boolean) {
  const tty = process.stdout.isTTY && !json;
  let live = false;
  const [primary] = metricsOf(config);
  const duration = (seconds: number) => (seconds >= 90 ? `${Math.round(seconds / 60)} min` : `${Math.round(seconds)} s`);
  // Where the run stands: "[trial 3/9, run ETA 12 min]". Finished trials give the mean trial time; before
  // the first finishes, the trial in flight's own epochs stand in for it.
  let place = '';
  let perTrial: number | null = null;
  // The trial in flight's expected end and length, from its last epoch: batch lines count down to it.
  let trialEnd: { at: number; length: number } | null = null;
  let trialsAfter = 0;
  // The estimate of what follows the trials (latency timing, analyses), part of the run's ETA.
  let finishing = 0;
  let lastPlain = 0;
  const stamp = () => {
    const trialLeft = trialEnd ? Math.max(0, (trialEnd.at - Date.now()) / 1000) : null;
    const each = perTrial ?? trialEnd?.length ?? null;
    const eta = each === null ? null : (trialLeft ?? each) + each * trialsAfter + finishing;
    return `[${place}${eta === null ? '' : `, run ETA ${duration(eta)}`}]`;
  };
  const progress = (trial: TrialSpec, e: RunProgress) => {
    if (json) {
      if (e.type !== 'batch' || Date.now() - lastPlain > 5000) {
        lastPlain = Date.now();
        const { type, ...fields } = e;
        console.log(JSON.stringify({ event: type, trial: trial.id, ...fields }));
      }
      return;
    }
    if (e.type === 'trial') {
      place = `trial ${e.index}/${e.total}`;
      trialsAfter = e.total - e.index;
      finishing = e.finishingSeconds ?? 0;
      perTrial = e.etaSeconds === null ? null : e.etaSeconds / (trialsAfter + 1);
      trialEnd = null;
      log(`${stamp()} ${trial.id}: stage ${e.stage}${e.stage === 0 ? ' (full network)' : ''}`);
    } else if (e.type === 'stage') {
      log(`${stamp()} ${trial.id}: ${e.stage}`);
    } else if (e.type === 'batch') {
      const line = `${stamp()} ${trial.id} epoch ${e.epoch}/${config.epochs} batch ${e.batch}/${e.batches} loss ${e.loss.toFixed(4)}`;
      if (tty) {
        process.stdout.write(`\r${line}   `);
        live = true;
      } else if (Date.now() - lastPlain > 15000) {
        // Not a terminal: a line now and then, so a log shows the run is alive within long epochs.
        lastPlain = Date.now();
        console.log(line);
      }
    } else {
      trialEnd = { at: Date.now() + 1000 * e.seconds * (e.epochs - e.epoch), length: e.seconds * e.epochs };
      const line = `${stamp()} ${trial.id} epoch ${e.epoch}/${e.epochs} loss ${e.trainLoss.toFixed(4)} ` +
        `val ${primary.label} ${e.val.toFixed(4)} (${e.seconds.toFixed(1)} s, trial ETA ${duration(e.seconds * (e.epochs - e.epoch))})`;
      if (tty) process.stdout.write(`\r${line}${' '.repeat(10)}`);
      else console.log(line);
      lastPlain = Date.now();
      live = tty;
    }
  };
  const log = (line: string) => {
    if (json) return;
    if (live) process.stdout.write('\n');
    live = false;
    console.log(line);
  };
  // Ends a live terminal line before the results are printed.
  const finish = () => {
    if (live) process.stdout.write('\n');
    live = false;
  };
  return { progress, log, finish };
}
