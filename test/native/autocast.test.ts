// Mixed precision and training-state edges: bf16 autocast on CPU runs and stays close to float32; fp16
// training is refused (no loss scaling); reconfiguring during an epoch ends it with E_BUSY; how an epoch
// splits into batches; segmentation targets carry their shape instead of being guessed from their length.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createModel, finetune } from '../../src/index.js';
import { optimOptions } from '../../src/model.js';
import { toNativeStore } from '../../src/data/dataset.js';
import { batchesPerEpoch, planTraining, trainingOptim } from '../../src/train/setup.js';
import { native } from '../../src/native/loader.js';
import type { LastBatch } from '../../src/native/binding.js';

const pipeline = { size: 32, channels: 3, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] };

function grayStore(n: number) {
  let s = 7;
  const images = Uint8Array.from({ length: n * 32 * 32 }, () => (s = (s * 1103515245 + 12345) % 2 ** 31) % 256);
  return toNativeStore({ images, shape: [n, 32, 32], labels: Int32Array.from({ length: n }, (_, i) => i % 2) }, 'gray');
}

describe('autocast', () => {
  it('bf16 on CPU: predictions within 0.05 of float32 (and not bit-identical: the bf16 path ran); a bf16 epoch trains', async () => {
    const model = await createModel({ model: 'resnet18', cutoff: 5, numClasses: 2, device: 'cpu', seed: 4 });
    const store = grayStore(8);
    await model.configureTraining(optimOptions({ lr: 0.01 }));
    const fp32 = (await model.predictStore(store, pipeline, 8)).data;
    await model.configureTraining(optimOptions({ lr: 0.01, autocast: 'bf16' }));
    const bf16 = (await model.predictStore(store, pipeline, 8)).data;
    const diff = Math.max(...fp32.map((p, i) => Math.abs(p - bf16[i])));
    expect(diff).toBeLessThan(0.05);
    expect(diff).toBeGreaterThan(0);
    const stats = await model.trainEpoch(store, pipeline, { batchSize: 4, seed: 0, epoch: 1, lastBatch: 'even' });
    expect(stats.batches).toBe(2);
    expect(Number.isFinite(stats.loss)).toBe(true);
    model.dispose();
  });

  it('bf16 training on a CPU that must emulate bf16 warns once (TTL_TORCH_SLOW_BF16); with BF16 instructions it does not', async () => {
    const split = { images: Uint8Array.from({ length: 8 * 32 * 32 }, (_, i) => (i * 37) % 256), shape: [8, 32, 32], labels: Int32Array.from({ length: 8 }, (_, i) => i % 2) };
    const data = { name: 'tiny', kind: 'gray' as const, classes: ['a', 'b'], train: split, val: split, test: split };
    const warnings: Error[] = [];
    const listen = (w: Error) => warnings.push(w);
    process.on('warning', listen);
    try {
      const train = () => finetune({ model: 'resnet18', strategy: { kind: 'ttl', cutoff: 3 }, data, imageSize: 32, epochs: 1, batchSize: 4, autocast: 'bf16', device: 'cpu' });
      await train();
      await train();
      await new Promise((r) => setImmediate(r));  // warnings are emitted on the next tick
    } finally {
      process.off('warning', listen);
    }
    // Read independently of the code under test: the CPU's flags as the kernel reports them.
    const flags = /^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))![1].split(/\s+/);
    const emulated = !flags.includes('avx512_bf16') && !flags.includes('amx_bf16');
    const slow = warnings.filter((w) => (w as Error & { code?: string }).code === 'TTL_TORCH_SLOW_BF16');
    expect(slow.length).toBe(emulated ? 1 : 0);
    if (emulated) expect(slow[0].message).toContain('without BF16 instructions');
  });

  it('fp16 training is refused before any work, and by the native trainer as a second line', async () => {
    const data = { name: 'tiny', kind: 'gray' as const, classes: ['a', 'b'], train: { images: new Uint8Array(4 * 32 * 32), shape: [4, 32, 32], labels: Int32Array.from([0, 1, 0, 1]) } };
    const split = data.train;
    await expect(finetune({ model: 'resnet18', strategy: { kind: 'ttl', cutoff: 3 }, data: { ...data, val: split, test: split }, autocast: 'fp16', device: 'cpu' }))
      .rejects.toMatchObject({ code: 'E_BAD_ARGUMENT', message: expect.stringMatching(/^autocast 'fp16' cannot train: without loss scaling/) });
    const net = await native().createModel(
      { family: 'resnet', block: 'basic', layers: [2, 2, 2, 2], keepUnits: 3, slimAfter: -1, inChannels: 3, head: { kind: 'linear', numClasses: 2, dropout: 0, zeroInit: false, multiLabel: false } },
      { device: 'cpu', seed: 0, threads: 0, memoryFormat: 'auto' },
    );
    await expect(net.configureTraining(optimOptions({ lr: 0.1, autocast: 'fp16' }))).rejects.toMatchObject({
      code: 'E_TORCH', message: expect.stringContaining('fp16 training needs loss scaling'),
    });
    net.dispose();
  });
});

describe('training state', () => {
  it('reconfiguring training during an epoch ends that epoch with E_BUSY; the next epoch runs', async () => {
    const model = await createModel({ model: 'squeezenet1_1', cutoff: 3, numClasses: 2, device: 'cpu', seed: 1 });
    // 24 batches: the reconfiguration, issued when the first one is reported, lands well before the last.
    const store = grayStore(48);
    await model.configureTraining(optimOptions({ lr: 0.01 }));
    // Reconfigured once the first batch has trained: predict and configure tasks run before queued training
    // batches, so a call issued with the epoch would run before its first batch.
    let reconfigured: Promise<void> | undefined;
    const epoch = model.trainEpoch(store, pipeline, { batchSize: 2, seed: 0, epoch: 1, lastBatch: 'even' }, () => {
      reconfigured ??= model.configureTraining(optimOptions({ lr: 0.02 }));
    });
    await expect(epoch).rejects.toMatchObject({ code: 'E_BUSY', message: 'training was reconfigured (configureTraining) during an epoch' });
    await reconfigured;
    await expect(model.trainEpoch(store, pipeline, { batchSize: 2, seed: 0, epoch: 2, lastBatch: 'even' })).resolves.toMatchObject({ batches: 24 });
    model.dispose();
  });

  it('the last batch at batch 4: kept ragged (a tail of 1 dropped), split evenly, or dropped (a store under one batch kept)', async () => {
    const model = await createModel({ model: 'squeezenet1_1', cutoff: 3, numClasses: 2, device: 'cpu', seed: 1 });
    await model.configureTraining(optimOptions({ lr: 0.01 }));
    const epoch = async (samples: number, lastBatch: LastBatch) => {
      const reported: number[] = [];
      const stats = await model.trainEpoch(grayStore(samples), pipeline, { batchSize: 4, seed: 0, epoch: 1, lastBatch }, (b) => reported.push(b.batch));
      await new Promise<void>((resolve) => setImmediate(resolve));
      // The schedule is laid out over the batches an epoch will train.
      expect(batchesPerEpoch(samples, 4, lastBatch)).toBe(stats.batches);
      return { batches: stats.batches, samples: stats.samples, reported };
    };
    expect(await epoch(9, 'even')).toEqual({ batches: 3, samples: 9, reported: [1, 2, 3] });
    expect(await epoch(9, 'keep')).toEqual({ batches: 2, samples: 8, reported: [1, 2] });
    expect(await epoch(10, 'keep')).toEqual({ batches: 3, samples: 10, reported: [1, 2, 3] });
    expect(await epoch(10, 'drop')).toEqual({ batches: 2, samples: 8, reported: [1, 2] });
    expect(await epoch(3, 'drop')).toEqual({ batches: 1, samples: 3, reported: [1] });
    const options = { model: 'squeezenet1_1', strategy: { kind: 'ftl' as const }, batchSize: 4, lastBatch: 'drop' as const, warmup: 0.5 };
    expect(trainingOptim(planTraining(options), 10, [])).toMatchObject({ stepsPerEpoch: 2, warmupSteps: 10 });
    await expect(model.trainEpoch(grayStore(4), pipeline, { batchSize: 4, seed: 0, epoch: 1, lastBatch: 'all' as LastBatch }))
      .rejects.toThrow("epoch options: lastBatch must be 'keep', 'even' or 'drop', got 'all'");
    model.dispose();
  });

  it('segmentation trainStep: masks of the input shape train; a mask of another size is refused by name', async () => {
    const model = await createModel({ model: 'resnet18', cutoff: 5, head: 'unet', numClasses: 2, device: 'cpu', seed: 2 });
    const input = new Float32Array(2 * 3 * 32 * 32).map((_, i) => Math.sin(i));
    const masks = Int32Array.from({ length: 2 * 32 * 32 }, (_, i) => (i % 32 < 16 ? 1 : 0));
    expect(Number.isFinite(await model.trainStep(input, [2, 3, 32, 32], masks, { lr: 0.01 }))).toBe(true);
    await expect(model.trainStep(input, [2, 3, 32, 32], masks.subarray(0, 32 * 32), { lr: 0.01 })).rejects.toMatchObject({
      code: 'E_BAD_ARGUMENT', message: expect.stringMatching(/^Expected 2048 values \(a mask of the input's batch and spatial shape\) for labels/),
    });
    model.dispose();
  });
});
