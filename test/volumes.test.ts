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

describe('3D Grad-CAM', () => {
  it('gives a volume heatmap of the input size and a slice montage PNG', async () => {
    const { createModel, gradCam, writeMontage } = await import('../src/index.js');
    const { default: sharp } = await import('sharp');
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const model = await createModel({ name: 'r3d_18', cutoff: 5, numClasses: 2, device: 'cpu', seed: 3 });
    const voxels = adrenal.test.images.subarray(0, 28 * 28 * 28) as Uint8Array;
    const input = new Float32Array(3 * voxels.length);
    for (let c = 0; c < 3; c++) for (let i = 0; i < voxels.length; i++) input[c * voxels.length + i] = voxels[i] / 255 - 0.4;
    const cam = await gradCam(model, input, [1, 3, 28, 28, 28], { unit: 'layer2.0' });
    expect(cam.shape).toEqual([1, 28, 28, 28]);
    expect(new Set(cam.data).size).toBeGreaterThan(100);
    const path = join(mkdtempSync(join(tmpdir(), 'ttl-montage-')), 'montage.png');
    await writeMontage(path, voxels, cam.data, [28, 28, 28], 8);
    const meta = await sharp(path).metadata();
    expect([meta.width, meta.height]).toEqual([8 * 30, 28]);
    model.dispose();
  });
});
