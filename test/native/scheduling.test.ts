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
  // Counted in training batches, not milliseconds: how many batches finish while a forward waits does not depend on
  // how fast this machine is or how busy its neighbours are. The old behaviour (an epoch as one compute-thread
  // task) made a forward wait for the rest of the epoch: up to 17 batches here.
  it('batch-1 inference during an epoch waits about one batch', async () => {
    const size = 64;
    const server = await createModel({ model: 'squeezenet1_1', cutoff: 4, numClasses: 2, device: 'cpu' });
    const input = new Float32Array(3 * size * size).fill(0.1);
    let batches = 0;
    const once = async () => {
      const [before, t] = [batches, performance.now()];
      await server.forward(input, [1, 3, size, size]);
      return { batches: batches - before, ms: performance.now() - t };
    };
    for (let i = 0; i < 3; i++) await once();

    const controller = new AbortController();
    let firstBatch!: () => void;
    const started = new Promise<void>((r) => (firstBatch = r));
    const training = finetune({
      model: 'squeezenet1_1', strategy: { kind: 'ttl', cutoff: 4 }, data, imageSize: size, epochs: 20, batchSize: 32, device: 'cpu', signal: controller.signal,
      onProgress: (e) => {
        if (e.type !== 'batch') return;
        batches++;
        firstBatch();
      },
    }).catch((e: unknown) => e);
    await started;
    const busy: { batches: number; ms: number }[] = [];
    for (let i = 0; i < 10; i++) busy.push(await once());
    const abortedAt = batches;
    controller.abort();
    // Cancelled, not finished: training went on from before the first forward to after the last.
    expect(await training).toMatchObject({ code: 'E_CANCELLED' });
    const perEpoch = Math.floor(data.train.labels.length / 32);
    console.log(`forwards during training: batches finished while each waited ${busy.map((b) => b.batches).join(', ')} ` +
      `(an epoch is ${perEpoch}); median wait ${median(busy.map((b) => b.ms)).toFixed(1)} ms; ${batches - abortedAt} batch(es) after the abort`);
    // The batch in flight when the forward was posted, and one whose event was already on its way.
    expect(Math.max(...busy.map((b) => b.batches))).toBeLessThanOrEqual(2);
    expect(batches - abortedAt).toBeLessThanOrEqual(1);
    await server.close();
  });
});
