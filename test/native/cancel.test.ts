// Cancellation at every phase of a real (tiny) trial: between epochs, within an epoch, during validation;
// progress-callback errors reject; close() waits for running work.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createModel, finetune, trainSegmentation, type FinetuneOptions } from '../../src/index.js';
import { readMedMNIST, type SegmentationSplit } from '../../src/data/index.js';
import { type ProgressEvent } from '../../src/train/index.js';
import { shared } from '../support/helpers.js';

const data = readMedMNIST(join(shared, 'data', 'breastmnist', 'breastmnist.npz'));
const base: FinetuneOptions = {
  model: 'squeezenet1_1', strategy: { kind: 'ttl', cutoff: 4 }, data, imageSize: 32, epochs: 3, batchSize: 32, device: 'cpu', seed: 1,
};

/** Runs a trial that aborts when `when(event)` first holds; returns the error, the events and the abort latency. */
async function abortWhen(when: (e: ProgressEvent) => boolean) {
  const controller = new AbortController();
  const events: ProgressEvent[] = [];
  let abortedAt = 0;
  let eventsAtAbort = 0;
  const error = await finetune({
    ...base, signal: controller.signal,
    onProgress: (e) => {
      events.push(e);
      if (!abortedAt && when(e)) {
        abortedAt = performance.now();
        eventsAtAbort = events.length;
        controller.abort();
      }
    },
  }).then(() => undefined, (e: unknown) => e as { code?: string });
  return { error, events, after: events.slice(eventsAtAbort), latencyMs: performance.now() - abortedAt };
}

describe('cancellation', () => {
  it('between epochs: an abort in the epoch event stops before the next epoch trains', async () => {
    const r = await abortWhen((e) => e.type === 'epoch' && e.epoch === 1);
    expect(r.error?.code).toBe('E_CANCELLED');
    expect(r.after.filter((e) => e.epoch === 2)).toEqual([]);
    console.log(`abort between epochs: rejected after ${r.latencyMs.toFixed(1)} ms`);
  });

  it('within an epoch: the epoch stops at the next batch', async () => {
    const r = await abortWhen((e) => e.type === 'batch' && e.batch === 3);
    expect(r.error?.code).toBe('E_CANCELLED');
    // Counted in batches, not milliseconds (the same on a fast CPU and a busy one): the batch whose event was on
    // its way at most, of the 18 an epoch has; and no epoch finished.
    const after = r.after.filter((e) => e.type === 'batch').length;
    expect(after).toBeLessThanOrEqual(1);
    expect(r.events.some((e) => e.type === 'epoch')).toBe(false);
    console.log(`abort within an epoch: ${after} batch events after the abort, rejected after ${r.latencyMs.toFixed(1)} ms`);
  });

  it('during validation: an abort at the last batch is not lost (the next epoch never starts)', async () => {
    const r = await abortWhen((e) => e.type === 'batch' && e.batch === e.batches);
    expect(r.error?.code).toBe('E_CANCELLED');
    expect(r.events.some((e) => e.epoch === 2)).toBe(false);
    expect(r.events.some((e) => e.type === 'epoch')).toBe(false);
    console.log(`abort during validation: rejected after ${r.latencyMs.toFixed(1)} ms`);
  });

  it('trainSegmentation: an abort between epochs and one within an epoch both stop it', async () => {
    const split = (n: number): SegmentationSplit => {
      const images = new Uint8Array(n * 32 * 32).map((_, i) => ((i % 32) > 15 ? 200 : 30));
      return { images, shape: [n, 32, 32], masks: images.map((v) => (v > 100 ? 1 : 0)) };
    };
    const data = { name: 'halves', classes: ['background', 'right'], kind: 'gray' as const, train: split(32), val: split(4), test: split(4) };
    for (const when of ['epoch', 'batch'] as const) {
      const controller = new AbortController();
      const seen: string[] = [];
      const error = await trainSegmentation({
        model: 'resnet18', strategy: { kind: 'ttl', cutoff: 3 }, data, imageSize: 32, epochs: 3, batchSize: 4, device: 'cpu', signal: controller.signal,
        onProgress: (e) => {
          seen.push(`${e.type}${e.epoch}`);
          if (e.type === when && e.epoch === 1 && (e.type === 'epoch' || e.batch === 2)) controller.abort();
        },
      }).catch((e: unknown) => e as { code?: string });
      expect(error?.code, when).toBe('E_CANCELLED');
      expect(seen.some((s) => s.endsWith('2')), when).toBe(false);
      if (when === 'batch') expect(seen.filter((s) => s === 'batch1').length).toBeLessThan(8); // of 8
    }
  });

  it('an already aborted signal refuses to start, createModel included', async () => {
    const signal = AbortSignal.abort();
    await expect(finetune({ ...base, signal })).rejects.toMatchObject({ code: 'E_CANCELLED' });
    await expect(createModel({ model: 'squeezenet1_1', device: 'cpu', signal })).rejects.toMatchObject({ code: 'E_CANCELLED' });
  });

  it('a throwing progress callback rejects the trial with its own error', async () => {
    const boom = new Error('observer failed');
    let batches = 0;
    const error = await finetune({
      ...base, onProgress: (e) => {
        if (e.type !== 'batch') return;
        batches++;
        if (e.batch === 2) throw boom;
      },
    }).catch((e: unknown) => e);
    expect(error).toBe(boom);
    expect(batches).toBeLessThan(12);
  });

  it('close() waits for running calls where dispose() refuses', async () => {
    const model = await createModel({ model: 'squeezenet1_1', cutoff: 4, numClasses: 2, device: 'cpu' });
    const input = new Float32Array(8 * 3 * 64 * 64);
    const running = model.forward(input, [8, 3, 64, 64]);
    expect(() => model.dispose()).toThrow(expect.objectContaining({ code: 'E_BUSY' }));
    await model.close();
    await expect(running).resolves.toBeDefined();
    await expect(model.forward(input, [8, 3, 64, 64])).rejects.toMatchObject({ code: 'E_DISPOSED' });
  });

  it('a call whose work has finished still counts as running until its promise settles', async () => {
    const model = await createModel({ model: 'squeezenet1_1', cutoff: 4, numClasses: 2, device: 'cpu' });
    const input = new Float32Array(1 * 3 * 32 * 32);
    const running = model.forward(input, [1, 3, 32, 32]);
    // The JS thread stays busy well past the forward's few milliseconds on the compute thread, as a loaded
    // machine can keep it: the count must not drop behind the JS thread's back.
    for (const until = performance.now() + 300; performance.now() < until;);
    expect(() => model.dispose()).toThrow(expect.objectContaining({ code: 'E_BUSY' }));
    await running;
    model.dispose();
    await expect(model.forward(input, [1, 3, 32, 32])).rejects.toMatchObject({ code: 'E_DISPOSED' });
  });
});
