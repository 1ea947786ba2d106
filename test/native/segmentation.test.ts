// Segmentation with a truncated encoder on real CT: liver (TotalSegmentator label 5) in
// ../shared/data/nifti-samples/example_ct_sm with example_seg, as 2D slices and as the whole volume.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { createModel, trainSegmentation } from '../../src/index.js';
import { loadSegmentationManifest, loadSegmentationPairs, readVolume, windowed, type SegmentationDataset, type SegmentationSplit } from '../../src/data/index.js';
import { root, shared, testCacheDir } from '../support/helpers.js';

const dir = join(shared, 'data', 'nifti-samples');
const ct = join(dir, 'example_ct_sm.nii.gz');
const labels = join(dir, 'example_seg.nii.gz');
const LIVER = { liver: [5] };
const tmp = mkdtempSync(join(tmpdir(), 'ttl-seg-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const slices = () => loadSegmentationPairs('ct-slices', [{ image: ct, mask: labels, origin: 'example_ct_sm' }], {
  classes: LIVER, mode: 'slices', size: 64, intensity: 'abdomen', fractions: { val: 0.2, test: 0.2 }, splitBy: 'slice', seed: 1,
});

/** Dice of predicting foreground everywhere: the score a segmenter must beat to have learned anything. */
function allForegroundDice(split: SegmentationSplit): number {
  const n = split.masks.length / split.shape[0];
  let sum = 0;
  for (let i = 0; i < split.shape[0]; i++) {
    let fg = 0;
    for (let j = i * n; j < (i + 1) * n; j++) fg += split.masks[j] > 0 ? 1 : 0;
    sum += (2 * fg) / (fg + n);
  }
  return sum / split.shape[0];
}

/** Reference per-image Dice from logits [N, C, H, W] and masks, computed here independently. */
function diceOf(logits: { data: Float32Array; shape: number[] }, masks: Uint8Array): number[] {
  const [n, c, h, w] = logits.shape;
  const hw = h * w;
  return Array.from({ length: n }, (_, i) => {
    let inter = 0, pred = 0, truth = 0;
    for (let p = 0; p < hw; p++) {
      let best = 0;
      for (let k = 1; k < c; k++) if (logits.data[(i * c + k) * hw + p] > logits.data[(i * c + best) * hw + p]) best = k;
      const t = masks[i * hw + p] > 0, q = best > 0;
      inter += t && q ? 1 : 0;
      pred += q ? 1 : 0;
      truth += t ? 1 : 0;
    }
    return pred + truth ? (2 * inter) / (pred + truth) : 1;
  });
}

describe('segmentation datasets', () => {
  it('cuts axial slices with the chosen organ as foreground, windowed to 16 bits', async () => {
    const data = await slices();
    const volume = readVolume(labels);
    const [x, y, z] = volume.shape;
    let withLiver = 0;
    for (let k = 0; k < z; k++) if (volume.values.subarray(k * x * y, (k + 1) * x * y).some((v) => v === 5)) withLiver++;
    const total = data.train.shape[0] + data.val.shape[0] + data.test.shape[0];
    expect(total).toBe(withLiver);
    expect(data.classes).toEqual(['background', 'liver']);
    expect(data.train.shape.slice(1)).toEqual([64, 64]);
    expect(data.train.images).toBeInstanceOf(Uint16Array);
    expect(new Set(data.train.masks)).toEqual(new Set([0, 1]));
    expect(() => windowed(new Float32Array(2), [5, 5], 'x')).toThrow(/low < high/);
  });

  it('a CSV manifest of PNG slices and label-map masks gives the same masks as the volume', async () => {
    const image = readVolume(ct);
    const seg = readVolume(labels);
    const [x, y] = image.shape;
    const intensities = windowed(image.values, 'abdomen', 'ct');
    const rows = ['file,mask,split'];
    for (const k of [10, 20, 25]) {
      const plane = intensities.subarray(k * x * y, (k + 1) * x * y);
      const png16 = Buffer.from(new Uint16Array(plane).buffer);
      await sharp(png16, { raw: { width: x, height: y, channels: 1, premultiplied: false } }).toColourspace('grey16').png().toFile(join(tmp, `s${k}.png`));
      await sharp(Buffer.from(Uint8Array.from(seg.values.subarray(k * x * y, (k + 1) * x * y))), { raw: { width: x, height: y, channels: 1 } })
        .png().toFile(join(tmp, `m${k}.png`));
      rows.push(`s${k}.png,m${k}.png,${k === 10 ? 'train' : k === 20 ? 'val' : 'test'}`);
    }
    writeFileSync(join(tmp, 'seg.csv'), rows.join('\n') + '\n');
    const fromCsv = await loadSegmentationManifest(join(tmp, 'seg.csv'), { classes: LIVER, size: 64 });
    const fromVolume = await loadSegmentationPairs('v', [10, 20, 25].map((k) => ({ image: ct, mask: labels, origin: `${k}` })), {
      classes: LIVER, mode: 'slices', size: 64, intensity: 'abdomen', minForeground: 0, splitBy: 'slice',
    });
    expect(fromCsv.kind).toBe('gray');
    expect(fromCsv.train.shape).toEqual([1, 64, 64]);
    // The volume path keeps every slice; slice 10 of it must equal the PNG path's train mask (nearest resize both ways).
    const all = [fromVolume.train, fromVolume.val, fromVolume.test];
    const planes = all.flatMap((s) => Array.from({ length: s.shape[0] }, (_, i) => s.masks.subarray(i * 4096, (i + 1) * 4096)));
    const sum = (m: Uint8Array) => m.reduce((a, b) => a + b, 0);
    const liverPixels = sum(fromCsv.train.masks);
    expect(liverPixels).toBeGreaterThan(50);
    expect(planes.some((p) => sum(p) === liverPixels && p.every((v, i) => v === fromCsv.train.masks[i]))).toBe(true);
  });

  it('names the file and what was expected for bad manifests and label maps', async () => {
    writeFileSync(join(tmp, 'bad.csv'), 'file,label\na.png,1\n');
    await expect(loadSegmentationManifest(join(tmp, 'bad.csv'))).rejects.toThrow(/bad\.csv: no 'mask' column/);
    await expect(loadSegmentationPairs('x', [{ image: ct, mask: join(dir, 'example_mr_sm.nii.gz'), origin: 'row 1' }], { classes: LIVER }))
      .rejects.toThrow(/row 1: the label map's shape \[117, 91, 20\] differs from the volume's \[122, 101, 30\]/);
    await expect(loadSegmentationPairs('x', [{ image: ct, mask: labels, origin: 'r' }], { classes: { liver: ['5' as never] } }))
      .rejects.toThrow(/classes must map each class name to a list of integer label values/);
    await expect(loadSegmentationPairs('x', [{ image: ct, mask: labels, origin: 'r' }], { mode: 'slice' as never }))
      .rejects.toThrow("Expected one of 'volumes', 'slices' for mode but received");
    await expect(loadSegmentationPairs('x', [{ image: ct, mask: labels, origin: 'r' }], { spacing: [1, 0, 1] }))
      .rejects.toThrow('Expected three positive numbers (mm along x, y, z) for spacing');
  });
});

/** Writes every CT slice as a 16-bit PNG and its label map as an 8-bit PNG, with a CSV manifest; returns the CSV. */
async function writeSliceManifest(folder: string, split: (k: number) => string): Promise<string> {
  const image = readVolume(ct);
  const seg = readVolume(labels);
  const [x, y, z] = image.shape;
  const intensities = windowed(image.values, 'abdomen', 'ct');
  const rows = ['file,mask,split'];
  for (let k = 0; k < z; k++) {
    const plane = new Uint16Array(intensities.subarray(k * x * y, (k + 1) * x * y));
    await sharp(Buffer.from(plane.buffer), { raw: { width: x, height: y, channels: 1 } }).toColourspace('grey16').png().toFile(join(folder, `s${k}.png`));
    await sharp(Buffer.from(Uint8Array.from(seg.values.subarray(k * x * y, (k + 1) * x * y))), { raw: { width: x, height: y, channels: 1 } })
      .png().toFile(join(folder, `m${k}.png`));
    rows.push(`s${k}.png,m${k}.png,${split(k)}`);
  }
  writeFileSync(join(folder, 'slices.csv'), rows.join('\n') + '\n');
  return join(folder, 'slices.csv');
}

describe('truncated-encoder U-Net', () => {
  it('decoder joins only the kept blocks; its MACs follow the ptflops conventions', async () => {
    const keys = async (cutoff: string) => {
      const m = await createModel({ model: 'resnet18', cutoff, head: 'unet', numClasses: 2, device: 'cpu' });
      const names = [...(await m.state()).keys()];
      const c = await m.complexity([3, 64, 64]);
      m.dispose();
      return { blocks: new Set(names.filter((n) => n.startsWith('decoder.blocks.')).map((n) => n.split('.')[2])).size, c };
    };
    const b1 = await keys('block1');
    const b3 = await keys('block3');
    expect(b1.blocks).toBe(0);
    expect(b3.blocks).toBe(2);
    // TTL-B1 on 64x64: layer1 gives 64 x 16 x 16; decoder = final block (64->32, 32->32, 3x3) + 1x1 classifier + upsample.
    const px = 16 * 16;
    const conv = (cin: number, cout: number, k: number) => px * k * k * cin * cout;
    const bnRelu = (c: number) => 2 * c * px + c * px;
    const decoder = conv(64, 32, 3) + bnRelu(32) + conv(32, 32, 3) + bnRelu(32) + (conv(32, 2, 1) + 2 * px) + 2 * 64 * 64;
    expect(b1.c.headMacs).toBe(decoder);
    expect(b1.c.headParams).toBe(64 * 32 * 9 + 2 * 32 + 32 * 32 * 9 + 2 * 32 + 32 * 2 + 2);
    expect(b3.c.params).toBeGreaterThan(b1.c.params);
    await expect(createModel({ model: 'resnet18', head: 'unet', numClasses: 1 })).rejects.toThrow(/numClasses/);
  });

  it('2D: ResNet-50 v2 with ImageNet weights cut after block 2 learns the liver on CT slices; Dice/Jaccard per image are right', async () => {
    const data = await slices();
    const result = await trainSegmentation({
      model: 'resnet50_v2', weights: 'imagenet', allowMissing: true, strategy: { kind: 'ttl', cutoff: 'block2' }, data, imageSize: 64,
      epochs: 4, batchSize: 6, lr: 0.01, augment: { maxRotationDeg: 5, cropScaleMin: 0.9 }, device: 'cpu', keepModel: true,
      resolve: { mirror: shared, cacheDir: testCacheDir, offline: true },
    });
    const model = result.model!;
    try {
      expect(model.loadReport!.dropped.length).toBeGreaterThan(0); // stages 3-4 of the checkpoint are cut away
      expect(result.test.perImage.dice).toHaveLength(data.test.shape[0]);
      expect(result.test.dice.mean).toBeGreaterThan(allForegroundDice(data.test) + 0.15);
      expect(Math.max(...result.curves.map((c) => c.valDice))).toBeGreaterThan(result.curves[0].valDice);
      // One foreground class: Jaccard = Dice / (2 - Dice) for every image.
      result.test.perImage.dice.forEach((d, i) => expect(result.test.perImage.jaccard[i]).toBeCloseTo(d / (2 - d), 9));
      // Native Dice equals a Dice computed here from the network's own logits.
      const n = data.test.shape[0];
      const input = new Float32Array(n * 3 * 4096);
      const [mean, std] = [[0.485, 0.456, 0.406], [0.229, 0.224, 0.225]];
      for (let i = 0; i < n; i++)
        for (let c = 0; c < 3; c++)
          for (let p = 0; p < 4096; p++) input[(i * 3 + c) * 4096 + p] = (data.test.images[i * 4096 + p] / 65535 - mean[c]) / std[c];
      const { output } = await model.forward(input, [n, 3, 64, 64]);
      expect(output.shape).toEqual([n, 2, 64, 64]);
      diceOf(output, data.test.masks).forEach((d, i) => expect(result.test.perImage.dice[i]).toBeCloseTo(d, 5));
    } finally {
      model.dispose();
    }
  });

  it('3D: a truncated 3D ResNet-18 U-Net learns the liver on the CT volume', async () => {
    const pair = (split: 'train' | 'val' | 'test') => ({ image: ct, mask: labels, split, origin: split });
    // One volume: the run fits it (train = val = test), resampled to 64 x 64 x 32 voxels.
    const data: SegmentationDataset = await loadSegmentationPairs('ct3d', [pair('train'), pair('val'), pair('test')], {
      classes: LIVER, intensity: 'abdomen', shape: [64, 64, 32],
    });
    expect(data.kind).toBe('volume');
    expect(data.train.shape).toEqual([1, 32, 64, 64]);
    const result = await trainSegmentation({
      model: 'resnet3d_18', strategy: { kind: 'ttl', cutoff: 'block1' }, data, shape: [32, 64, 64], epochs: 5, batchSize: 1, lr: 0.01,
      augment: false, device: 'cpu',
    });
    expect(result.curves).toHaveLength(5);
    expect(result.test.dice.mean).toBeGreaterThan(allForegroundDice(data.test) + 0.1);
    expect(Math.max(...result.curves.map((c) => c.valDice))).toBeGreaterThan(result.curves[0].valDice);
    expect(result.macs).toBeGreaterThan(0);
  });

  it('`ttl-torch run --task segmentation`: block-wise TTL search vs FTL in the Table-2 shape (Dice | Jaccard | P | MACs | T)', async () => {
    const csv = await writeSliceManifest(tmp, (k) => (k % 5 === 3 ? 'val' : k % 5 === 4 ? 'test' : 'train'));
    const out = join(tmp, 'run');
    const cli = join(root, 'dist', 'cli', 'main.js');
    const args = [cli, 'run', '--task', 'segmentation', '--data', csv, '--label-classes', '{"liver":[5]}', '--model', 'resnet18', '--weights', 'none',
      '--strategies', 'ftl,ttl', '--search', 'block', '--epochs', '2', '--image-size', '64', '--batch-size', '8', '--lr', '0.01', '--device', 'cpu', '--out', out];
    const run = spawnSync(process.execPath, args, { encoding: 'utf8', env: { ...process.env, TTL_TORCH_THREADS: '1' } });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(results.metrics.map((m: { label: string }) => m.label)).toEqual(['Dice', 'Jaccard']);
    // Cut after block 4 is the full network: the FTL row, not a TTL trial.
    expect(results.cutoffRows.map((r: { method: string }) => r.method)).toEqual(['TTL-B1', 'TTL-B2', 'TTL-B3']);
    const journal = readFileSync(join(out, 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const trials = journal.filter((r) => r.type === 'trial');
    expect(trials).toHaveLength(4);
    for (const t of trials) {
      expect(t.status).toBe('ok');
      expect(t.test.dice).toBeGreaterThan(0);
      expect(t.test.jaccard).toBeLessThanOrEqual(t.test.dice);
    }
    const md = readFileSync(join(out, 'results.md'), 'utf8');
    expect(md).toContain('| Method | Dice | Jaccard | Dice 95% CI | n | P(M) | MACs(G) | T(ms) | cutoff k |');
    for (const row of results.rows) {
      expect(row.latencyMs).toBeGreaterThan(0);
      // One repeat: the mean Dice and its normal interval over the test images.
      expect(md).toContain(`| ${row.method} | ${row.test.dice.mean.toFixed(4)} | ${row.test.jaccard.mean.toFixed(4)} | ${row.testCi.low.toFixed(3)}-${row.testCi.high.toFixed(3)} | 1 |`);
    }
    const b = (name: string) => results.cutoffRows.find((r: { method: string }) => r.method === name);
    expect(b('TTL-B1').paramsM).toBeLessThan(b('TTL-B2').paramsM);
    expect(b('TTL-B2').macsG).toBeLessThan(results.rows.find((r: { method: string }) => r.method === 'FTL').macsG);
    for (const row of results.cutoffRows) expect(row.latencyMs, row.method).toBeGreaterThan(0);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('<table id="cutoffs">');
    // Mask overlays of the chosen network: Dice per test image from the predictor equals the run's evaluation.
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('aria-label="Predicted vs true masks"');
    const overlays = JSON.parse(readFileSync(join(out, 'analysis', 'masks.json'), 'utf8'));
    const chosen = trials.find((t) => t.id === overlays.trial);
    expect(overlays.dice).toHaveLength(Number(/, test (\d+)/.exec(run.stdout)?.[1]));
    expect(overlays.dice.reduce((a: number, b: number) => a + b, 0) / overlays.dice.length).toBeCloseTo(chosen.test.dice, 4);
    const { best, median, worst } = overlays.picks;
    expect(overlays.dice[best]).toBeGreaterThanOrEqual(overlays.dice[median]);
    expect(overlays.dice[median]).toBeGreaterThanOrEqual(overlays.dice[worst]);
    const latencyLines = () => readFileSync(join(out, 'journal.jsonl'), 'utf8').split('\n').filter((l) => l.includes('"latency"')).length;
    const timed = latencyLines();
    // Resuming a finished run trains nothing again.
    const again = spawnSync(process.execPath, [cli, 'run', '--resume', out], { encoding: 'utf8', env: { ...process.env, TTL_TORCH_THREADS: '1' } });
    expect(again.status).toBe(0);
    expect(again.stdout).toContain('skip ttl-k7-s0 (journaled)');
    expect(latencyLines()).toBe(timed); // every row was timed already
  });

  it('refuses a 2D segmentation dataset for a 3D network and masks outside the classes', async () => {
    const data = await slices();
    await expect(trainSegmentation({ model: 'resnet3d_18', strategy: { kind: 'ftl' }, data })).rejects.toThrow(/2D images but resnet3d_18 is a 3D network/);
    const bad = { ...data, classes: ['background'] };
    await expect(trainSegmentation({ model: 'resnet18', strategy: { kind: 'ftl' }, data: bad })).rejects.toThrow(/train masks hold class 1 but the dataset names 1 classes/);
  });
});
