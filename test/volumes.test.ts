// 3D volumes through the same engine: AdrenalMNIST3D with r3d_18 (the native pipeline resamples and
// augments volumes), and a clear refusal when a 2D network meets volumes.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { finetune, readMedMNIST, type ImageDataset } from '../src/index.js';
import { shared } from './helpers.js';

const adrenal = readMedMNIST(join(shared, 'data', 'adrenalmnist3d', 'adrenalmnist3d.npz'));

/** The first n volumes of each split with both classes present. */
function subset(n: number): ImageDataset {
  const take = (s: ImageDataset['train']) => {
    const voxels = s.shape.slice(1).reduce((a, b) => a * b, 1);
    const order = [...s.labels.keys()].sort((a, b) => s.labels[b] - s.labels[a]).slice(0, n / 2).concat([...s.labels.keys()].filter((i) => s.labels[i] === 0).slice(0, n / 2));
    const images = new Uint8Array(order.length * voxels);
    order.forEach((i, j) => images.set(s.images.subarray(i * voxels, (i + 1) * voxels) as Uint8Array, j * voxels));
    return { images, shape: [order.length, ...s.shape.slice(1)], labels: Int32Array.from(order, (i) => s.labels[i]) };
  };
  return { ...adrenal, train: take(adrenal.train), val: take(adrenal.val), test: take(adrenal.test) };
}

describe('3D volumes', () => {
  it('r3d_18 TTL(k=3) trains on AdrenalMNIST3D with 3D augmentation and reports 3D complexity', async () => {
    const result = await finetune({
      model: 'r3d_18', strategy: { kind: 'ttl', k: 3 }, data: subset(16), imageSize: 16, epochs: 2, batchSize: 8, lr: 0.01, device: 'cpu',
      keepModel: true,
    });
    expect(result.k).toBe(3);
    expect(result.curves).toHaveLength(2);
    expect(Number.isFinite(result.curves[1].trainLoss)).toBe(true);
    const c = await result.model!.complexity([3, 16, 16, 16]);
    expect(result.macs).toBe(c.macs);
    expect(result.model!.units.at(-1)?.name).toBe('layer1.1');
    result.model!.dispose();
  });

  it('a 2D network refuses volumes, and a 3D network refuses images', async () => {
    await expect(finetune({ model: 'resnet18', strategy: { kind: 'ftl' }, data: subset(8), device: 'cpu' })).rejects.toThrow(
      'adrenalmnist3d holds 3D volumes but resnet18 is a 2D network',
    );
    const breast = readMedMNIST(join(shared, 'data', 'breastmnist', 'breastmnist.npz'));
    await expect(finetune({ model: 'r3d_18', strategy: { kind: 'ftl' }, data: breast, device: 'cpu' })).rejects.toThrow(
      'breastmnist holds 2D images but r3d_18 is a 3D network',
    );
  });
});
