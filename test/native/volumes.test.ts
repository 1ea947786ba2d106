// 3D volumes through the same engine: AdrenalMNIST3D with r3d_18 (the native pipeline resamples and
// augments volumes), and a clear refusal when a 2D network meets volumes.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { finetune } from '../../src/index.js';
import { readMedMNIST, type ImageDataset, type MemorySplit } from '../../src/data/index.js';
import { shared } from '../support/helpers.js';

const adrenal = readMedMNIST(join(shared, 'data', 'adrenalmnist3d', 'adrenalmnist3d.npz'));

/** The first n volumes of each split with both classes present. */
function subset(n: number): ImageDataset {
  const take = (s: MemorySplit) => {
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
      model: 'r3d_18', strategy: { kind: 'ttl', cutoff: 3 }, data: subset(16), imageSize: 16, epochs: 2, batchSize: 8, lr: 0.01, device: 'cpu',
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

describe('volume manifests', () => {
  it('spacing resampling then centre crop/pad keeps physical size; padding is the volume minimum', async () => {
    const { conformVolume } = await import('../../src/data/volume.js');
    // values x + 10 y + 100 z are linear, so trilinear resampling reproduces them exactly
    const values = Float32Array.from({ length: 4 * 4 * 2 }, (_, i) => (i % 4) + 10 * (Math.floor(i / 4) % 4) + 100 * Math.floor(i / 16));
    const out = conformVolume({ shape: [4, 4, 2], spacing: [1, 1, 2], values }, { shape: [4, 2, 2], spacing: [2, 2, 2] }, 'linear');
    expect(out.shape).toEqual([4, 2, 2]);
    // 2 mm voxels: x, y centres at 0.5 and 2.5 source voxels; x padded by one voxel each side with the minimum (0)
    expect([...out.values]).toEqual([0, 5.5, 7.5, 0, 0, 25.5, 27.5, 0, 0, 105.5, 107.5, 0, 0, 125.5, 127.5, 0]);
  });

  it('CSV rows naming NIfTI files and a DICOM series load as windowed, resampled volumes and train a 3D network', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { loadDataset, readVolume } = await import('../../src/data/index.js');
    const { niftiSample: nifti, writeVolumeManifest } = await import('../support/volume-manifest.js');
    const root = mkdtempSync(join(tmpdir(), 'ttl-volumes-'));
    writeVolumeManifest(root);
    const { dataset } = await loadDataset(join(root, 'volumes.csv'), { volumeShape: [20, 18, 16], intensity: [-1000, 1000], allowOutsidePaths: true });
    expect(dataset.kind).toBe('volume');
    expect(dataset.train.shape).toEqual([2, 16, 18, 20]);
    expect(dataset.test.images).toBeInstanceOf(Uint16Array);
    // The DICOM series (second test row): HU -1000 + z*500 + i over a [-1000, 1000] window, corner voxel of the first slice = 0.
    const dicom = dataset.test.images.subarray(16 * 18 * 20);
    expect(dicom[0]).toBe(0);
    expect(Math.max(...dicom)).toBe(Math.round(((-1000 + 3 * 500 + 63 + 1000) / 2000) * 65535)); // last voxel of the last slice
    // Spacing: example_ct_sm is 3 mm; at 6 mm its 122 x 101 x 30 voxels become 61 x 51 x 15, cropped / padded to 20 x 18 x 16.
    const spaced = await loadDataset(join(root, 'volumes.csv'), { volumeShape: [20, 18, 16], spacing: [6, 6, 6], intensity: 'abdomen', allowOutsidePaths: true });
    const ct = readVolume(nifti('example_ct_sm.nii.gz'));
    expect(ct.spacing).toEqual([3, 3, 3]);
    expect(spaced.dataset.test.shape).toEqual([2, 16, 18, 20]);
    const result = await finetune({ model: 'resnet3d_18', strategy: { kind: 'ttl', cutoff: 'block1' }, data: dataset, imageSize: 16, epochs: 1, batchSize: 2, device: 'cpu' });
    expect(Number.isFinite(result.curves[0].trainLoss)).toBe(true);
  });
});

describe('3D Grad-CAM', () => {
  it('gives a volume heatmap of the input size and a slice montage PNG', async () => {
    const { createModel } = await import('../../src/index.js');
    const { gradCam, writeMontage } = await import('../../src/analysis/index.js');
    const { default: sharp } = await import('sharp');
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const model = await createModel({ model: 'r3d_18', cutoff: 5, numClasses: 2, device: 'cpu', seed: 3 });
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

  it('`ttl-torch gradcam` writes a slice montage for a NIfTI volume with a 3D checkpoint', async () => {
    const { createModel } = await import('../../src/index.js');
    const { default: sharp } = await import('sharp');
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { spawnSync } = await import('node:child_process');
    const { root } = await import('../support/helpers.js');
    const dir = mkdtempSync(join(tmpdir(), 'ttl-cam3d-'));
    const model = await createModel({ model: 'resnet3d_18', cutoff: 'block2', numClasses: 2, device: 'cpu', seed: 1 });
    await model.saveWeights(join(dir, 'ckpt.safetensors'));
    model.dispose();
    const volume = join(shared, 'data', 'nifti-samples', 'example_ct_sm.nii.gz');
    const run = spawnSync(process.execPath, [join(root, 'dist', 'cli', 'main.js'), 'gradcam', volume, '--checkpoint', join(dir, 'ckpt.safetensors'),
      '--size', '24', '--intensity', 'abdomen', '--out', dir], { encoding: 'utf8', env: { ...process.env, TTL_TORCH_THREADS: '1' } });
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe(join(dir, 'example_ct_sm-gradcam.png'));
    const meta = await sharp(join(dir, 'example_ct_sm-gradcam.png')).metadata();
    expect([meta.width, meta.height]).toEqual([8 * 26, 24]);
  });
});
