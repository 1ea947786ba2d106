// A forward issued while finetune() trains another model waits for about one training batch, not for the
// rest of the epoch (training runs one batch per compute-thread task).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createModel, finetune } from '../../src/index.js';
import { readMedMNIST } from '../../src/data/index.js';
import { shared } from '../support/helpers.js';

const data = readMedMNIST(join(shared, 'data', 'breastmnist', 'breastmnist.npz'));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

describe('scheduling', () => {
  it('batch-1 inference during an epoch waits about one batch', async () => {
    const size = 64;
    const server = await createModel({ model: 'squeezenet1_1', cutoff: 4, numClasses: 2, device: 'cpu' });
    const input = new Float32Array(3 * size * size).fill(0.1);
    const once = async () => {
      const t = performance.now();
      await server.forward(input, [1, 3, size, size]);
      return performance.now() - t;
    };
    for (let i = 0; i < 3; i++) await once();
    const idle: number[] = [];
    for (let i = 0; i < 10; i++) idle.push(await once());

    const controller = new AbortController();
    const batchTimes: number[] = [];
    let last = 0;
    let firstBatch!: () => void;
    const started = new Promise<void>((r) => (firstBatch = r));
    const training = finetune({
      model: 'squeezenet1_1', strategy: { kind: 'ttl', cutoff: 4 }, data, imageSize: size, epochs: 20, batchSize: 32, device: 'cpu', signal: controller.signal,
      onProgress: (e) => {
        if (e.type !== 'batch') return;
        const now = performance.now();
        if (last) batchTimes.push(now - last);
        last = now;
        // From the second batch on, one batch time is known even if the forwards below all finish within one batch.
        if (batchTimes.length) firstBatch();
      },
    }).catch((e: unknown) => e);
    await started;
    const busy: number[] = [];
    for (let i = 0; i < 10; i++) busy.push(await once());
    const abortAt = performance.now();
    controller.abort();
    expect(await training).toMatchObject({ code: 'E_CANCELLED' });
    const abortMs = performance.now() - abortAt;
    const batch = median(batchTimes);
    const epoch = batch * Math.ceil(data.train.labels.length / 32);
    console.log(`forward idle ${median(idle).toFixed(1)} ms; during training median ${median(busy).toFixed(1)} ms, max ${Math.max(...busy).toFixed(1)} ms;` +
      ` one batch ${batch.toFixed(1)} ms, one epoch ~${epoch.toFixed(0)} ms; abort took ${abortMs.toFixed(1)} ms`);
    // Generous: waiting behind the whole epoch (the old behaviour) is ~18 batches.
    expect(median(busy)).toBeLessThan(3 * batch + 50);
    expect(Math.max(...busy)).toBeLessThan(epoch / 2 + 50);
    expect(abortMs).toBeLessThan(3 * batch + 200);
    await server.close();
  });
});
