// `ttl-torch predict CHECKPOINT inputs...`: one line per input, through loadPredictor().
import { TtlError } from '../errors.js';
import { loadPredictor, type Prediction, type SegmentationPrediction } from '../predictor.js';

export interface PredictFlags {
  json?: boolean;
  csv?: boolean;
  device?: 'auto' | 'cpu' | 'cuda';
  batchSize?: string;
}

const csvField = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

export async function predictCommand(checkpoint: string, inputs: string[], flags: PredictFlags): Promise<void> {
  if (flags.json && flags.csv) throw new TtlError('E_BAD_ARGUMENT', 'choose one of --json and --csv');
  const batchSize = flags.batchSize === undefined ? 16 : Number(flags.batchSize);
  const predictor = await loadPredictor(checkpoint, { device: flags.device });
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  try {
    const results = await predictor.predictBatch(inputs, { batchSize, signal: controller.signal });
    if (predictor.task === 'segmentation') {
      const rows = (results as SegmentationPrediction[]).map((r, i) => {
        const counts = predictor.classes.map((_, c) => r.mask.reduce((n, v) => n + (v === c ? 1 : 0), 0));
        return { input: inputs[i], shape: r.shape, pixels: Object.fromEntries(predictor.classes.map((name, c) => [name, counts[c]])) };
      });
      for (const row of rows) process.stdout.write((flags.json ? JSON.stringify(row) : `${row.input}\t${JSON.stringify(row.pixels)}`) + '\n');
      return;
    }
    const rows = results as Prediction[];
    if (flags.csv) process.stdout.write(['input', 'label', 'class', ...predictor.classes.map((c) => `p_${c}`)].map(csvField).join(',') + '\n');
    rows.forEach((r, i) => {
      const probabilities = Array.from(r.probabilities);
      if (flags.json) process.stdout.write(JSON.stringify({ input: inputs[i], label: r.label, className: r.className, probabilities }) + '\n');
      else if (flags.csv) process.stdout.write([inputs[i], String(r.label), r.className, ...probabilities.map((p) => p.toPrecision(6))].map(csvField).join(',') + '\n');
      else process.stdout.write(`${inputs[i]}\t${r.className}\t${r.probabilities[r.label].toFixed(4)}\n`);
    });
  } finally {
    process.off('SIGINT', stop);
    await predictor.close();
  }
}
