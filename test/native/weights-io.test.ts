// Weight I/O: safetensors round trips, and checkpoints written by real PyTorch (torch.save) load.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createModel } from '../../src/index.js';
import { readSafetensors, toFloat32, writeSafetensors } from '../../src/weights/index.js';
import { gap, relativeError, root } from '../support/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'ttl-weights-'));
// Debian's python3-torch (installed by .ci/run) lives beside /usr/bin/python3, not in a pyenv.
const debianPython = process.env.TTL_TORCH_PYTHON ?? '/usr/bin/python3';
const input = Float32Array.from({ length: 2 * 3 * 48 * 48 }, (_, i) => Math.sin(i * 0.37));

describe('safetensors', () => {
  it('writes and reads back F32, F16 and I64 tensors with metadata', () => {
    const path = join(dir, 'mixed.safetensors');
    const f32 = new Float32Array([1.5, -2, 3.25]);
    const f16 = new Uint8Array(new Uint16Array([0x3c00, 0xc000]).buffer); // 1.0, -2.0
    const i64 = new Uint8Array(new BigInt64Array([7n]).buffer);
    writeSafetensors(path, [
      { name: 'b', dtype: 'F32', shape: [3], data: new Uint8Array(f32.buffer) },
      { name: 'a', dtype: 'F16', shape: [2, 1], data: f16 },
      { name: 'n', dtype: 'I64', shape: [], data: i64 },
    ], { note: 'x' });
    const file = readSafetensors(path);
    expect(file.metadata).toEqual({ note: 'x' });
    expect([...file.tensors.keys()]).toEqual(['a', 'b', 'n']);
    expect([...toFloat32(file.tensors.get('b')!)]).toEqual([1.5, -2, 3.25]);
    expect([...toFloat32(file.tensors.get('a')!)]).toEqual([1, -2]);
    expect(file.tensors.get('n')!.shape).toEqual([]);
  });

  it('saveWeights + loadWeights reproduce a model exactly', async () => {
    const a = await createModel({ model: 'densenet121', cutoff: 9, numClasses: 4, device: 'cpu', seed: 5 });
    await a.trainStep(input, [2, 3, 48, 48], Int32Array.from([1, 3]), { lr: 0.05 }); // move BN stats too
    const path = join(dir, 'densenet-k9.safetensors');
    await a.saveWeights(path);
    expect(readSafetensors(path).metadata).toMatchObject({ model: 'densenet121', k: '9', numClasses: '4' });
    const b = await createModel({ model: 'densenet121', cutoff: 9, numClasses: 4, device: 'cpu', seed: 6, weights: path });
    expect(b.loadReport?.missing).toEqual([]);
    const [ya, yb] = await Promise.all([a.forward(input, [2, 3, 48, 48]), b.forward(input, [2, 3, 48, 48])]);
    expect(Buffer.from(yb.output.data.buffer).equals(Buffer.from(ya.output.data.buffer))).toBe(true);
    a.dispose();
    b.dispose();
  });
});

describe('ttl-torch checkpoints hold their head', () => {
  it('a missing head tensor is refused by name (allowMissing keeps it as initialised); a checkpoint without head_norm as a whole (0.1.0) loads and predicts as saved', async () => {
    const a = await createModel({ model: 'squeezenet1_1', cutoff: 5, numClasses: 2, device: 'cpu', seed: 3 });
    const saved = join(dir, 'squeezenet-k5.safetensors');
    await a.saveWeights(saved);
    const file = readSafetensors(saved);
    const without = (name: string, drop: (key: string) => boolean) => {
      const path = join(dir, `squeezenet-k5-${name}.safetensors`);
      writeSafetensors(path, [...file.tensors.values()].filter((t) => !drop(t.name)), file.metadata);
      return path;
    };
    const b = await createModel({ model: 'squeezenet1_1', cutoff: 5, numClasses: 2, device: 'cpu', seed: 4 });
    const noClassifier = without('no-classifier', (key) => key === 'classifier.weight');
    await expect(b.loadWeights(noClassifier)).rejects.toMatchObject({
      code: 'E_WEIGHTS_MISMATCH', message: expect.stringMatching(/missing head keys \(1\): classifier\.weight\n.*allowMissing keeps this head as initialised/),
    });
    await expect(b.loadWeights(without('half-norm', (key) => key === 'head_norm.running_var'))).rejects.toThrow(/missing head keys \(1\): head_norm\.running_var/);
    expect((await b.loadWeights(noClassifier, { allowMissing: true })).headMissing).toEqual(['classifier.weight']);
    const report = await b.loadWeights(without('no-norm', (key) => key.startsWith('head_norm.')));
    expect(report.headMissing).toEqual(['head_norm.bias', 'head_norm.running_mean', 'head_norm.running_var', 'head_norm.weight']);
    const [ya, yb] = await Promise.all([a.forward(input, [2, 3, 48, 48]), b.forward(input, [2, 3, 48, 48])]);
    expect(Buffer.from(yb.output.data.buffer).equals(Buffer.from(ya.output.data.buffer))).toBe(true);
    a.dispose();
    b.dispose();
  });
});

describe('PyTorch .pth checkpoints (written by python3-torch)', () => {
  it.each([['zip', []], ['legacy', ['--legacy']]])('%s format loads and reproduces the outputs', async (_label, flags) => {
    const a = await createModel({ model: 'resnet18', cutoff: 4, numClasses: 2, device: 'cpu', seed: 8 });
    const st = join(dir, `resnet18-${_label}.safetensors`);
    const pth = join(dir, `resnet18-${_label}.pth`);
    await a.saveWeights(st);
    const py = spawnSync(debianPython, [join(root, 'test', 'support', 'tools', 'safetensors_to_pth.py'), st, pth, ...flags], { encoding: 'utf8' });
    expect(py.stderr).toBe('');
    expect(py.status).toBe(0);
    const b = await createModel({ model: 'resnet18', cutoff: 4, numClasses: 2, device: 'cpu', seed: 9 });
    const report = await b.loadWeights(pth);
    expect(report.missing).toEqual([]);
    const [ya, yb] = await Promise.all([a.forward(input, [2, 3, 48, 48]), b.forward(input, [2, 3, 48, 48])]);
    expect(Buffer.from(yb.output.data.buffer).equals(Buffer.from(ya.output.data.buffer))).toBe(true);
    a.dispose();
    b.dispose();
  });
});

describe('medical checkpoints: key adapters selected by name', () => {
  // TorchXRayVision publishes whole pickled models (torch.save(model)) of class torchxrayvision.models.DenseNet:
  // written here by python3-torch as such (a module of that name stands in for the package), 1-channel stem,
  // 18 classes, an upsample module and op_threshs (a plain attribute: no part of the state dict).
  it('a whole pickled TorchXRayVision DenseNet-121 loads by name into densenet121 with 1 input channel', async () => {
    const pt = join(dir, 'xrv-densenet121.pt');
    const reference = join(dir, 'xrv-reference.pth');
    const py = spawnSync(debianPython, [join(root, 'test', 'support', 'tools', 'medical_checkpoints.py'), 'torchxrayvision', pt, reference], { encoding: 'utf8' });
    expect(py.stderr).toBe('');
    expect(py.status).toBe(0);
    const model = await createModel({ model: 'densenet121', numClasses: 18, inChannels: 1, device: 'cpu' });
    const report = await model.loadWeights(pt);
    expect({ missing: report.missing, unexpected: report.unexpected, headMissing: report.headMissing }).toEqual({ missing: [], unexpected: [], headMissing: [] });
    expect(report.loaded).toContain('features.conv0.weight');
    expect(report.loaded).toContain('classifier.weight');
    const { readPth } = await import('../../src/weights/pth.js');
    const tensors = new Map((await readPth(reference)).map((t) => [t.name, t]));
    const out = (await model.forward(toFloat32(tensors.get('input')!), [2, 1, 64, 64])).output;
    expect(relativeError(out.data, toFloat32(tensors.get('logits')!))).toBeLessThan(1e-4);
    model.dispose();
  });

  // RadImageNet publishes its ResNet-50 as nn.Sequential(*torchvision children[:-2]) under `backbone`
  // (backbone.0 conv1, backbone.1 bn1, backbone.4..7 layer1..4): written here by python3-torch in that layout.
  it("'radimagenet' loads RadImageNet's ResNet-50 layout and reproduces its features", async () => {
    const pth = join(dir, 'RadImageNet-ResNet50_notop.pth');
    const reference = join(dir, 'radimagenet-reference.pth');
    const py = spawnSync(debianPython, [join(root, 'test', 'support', 'tools', 'medical_checkpoints.py'), 'radimagenet', pth, reference], { encoding: 'utf8' });
    expect(py.stderr).toBe('');
    expect(py.status).toBe(0);
    const model = await createModel({ model: 'resnet50', head: 'none', device: 'cpu' });
    // Without the adapter nothing matches: every key is unexpected.
    await expect(model.loadWeights(pth)).rejects.toMatchObject({ code: 'E_WEIGHTS_MISMATCH' });
    const report = await model.loadWeights(pth, { keyLayout: 'radimagenet' });
    const { readPth } = await import('../../src/weights/pth.js');
    expect({ missing: report.missing, unexpected: report.unexpected }).toEqual({ missing: [], unexpected: [] });
    expect(report.loaded.length).toBe((await readPth(pth)).length); // 318: every key of the file
    const tensors = new Map((await readPth(reference)).map((t) => [t.name, t]));
    const x = toFloat32(tensors.get('input')!);
    const features = toFloat32(tensors.get('features')!);
    const out = (await model.forward(x, [2, 3, 64, 64])).output;
    const pooled = gap(out);
    expect(relativeError(pooled, features)).toBeLessThan(1e-4);
    await expect(model.loadWeights(pth, { keyLayout: 'radimagenet_v2' })).rejects.toMatchObject({ code: 'E_BAD_ARGUMENT', message: expect.stringContaining("keyLayout") });
    model.dispose();
  });
});
