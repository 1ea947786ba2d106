// Bad input of every kind is a clear JS error with a stable code; the process never aborts.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TtlError, createModel, type Model } from '../../src/index.js';
import { readSafetensors } from '../../src/weights/index.js';
import { toNativeStore } from '../../src/data/dataset.js';
import { sharedWeights } from '../support/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'ttl-errors-'));

function safetensorsBytes(header: object | string, data = Buffer.alloc(0)): Buffer {
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([prefix, json, data]);
}

function file(name: string, bytes: Buffer | string): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

describe('bad arguments', () => {
  it('unknown model names the available ones', async () => {
    await expect(createModel({ model: 'resnet51' })).rejects.toMatchObject({
      code: 'E_UNKNOWN_MODEL',
      message: expect.stringMatching(/unknown model 'resnet51'; available: densenet121, .*resnet50/),
    });
  });

  it('cutoff out of range or unknown lists the valid choices', async () => {
    await expect(createModel({ model: 'resnet50', cutoff: 18 })).rejects.toMatchObject({
      code: 'E_BAD_CUTOFF', message: 'cutoff 18 is out of range for resnet50: use 1..17 (or -1..-17)',
    });
    await expect(createModel({ model: 'resnet50', cutoff: 0 })).rejects.toMatchObject({ code: 'E_BAD_CUTOFF' });
    await expect(createModel({ model: 'resnet50', cutoff: 'layer5.0' })).rejects.toMatchObject({
      code: 'E_BAD_CUTOFF', message: expect.stringContaining("unknown unit 'layer5.0' for resnet50; valid: stem, layer1.0"),
    });
    await expect(createModel({ model: 'resnet50', cutoff: 'block5' })).rejects.toThrow('resnet50 has blocks 1..4, not block5');
  });

  it('options are validated with precise messages before native code runs', async () => {
    await expect(createModel({ model: 'resnet18', numClasses: 0 })).rejects.toThrow(
      'Expected an integer between 1 and 100000 for numClasses but received 0 of type number',
    );
    await expect(createModel({ model: 'resnet18', device: 'tpu' as never })).rejects.toThrow(
      "Expected 'auto', 'cpu', 'cuda' or 'cuda:I' (I a device index) for device but received 'tpu' of type string",
    );
    await expect(createModel({ model: 'resnet18', device: 'cuda:x' as never })).rejects.toThrow(
      "Expected 'auto', 'cpu', 'cuda' or 'cuda:I' (I a device index) for device but received 'cuda:x' of type string",
    );
    await expect(createModel({ model: 'resnet18', cutoff: 3, head: 'original' })).rejects.toThrow(/head 'original' needs the full network/);
  });

  it('cuda (or cuda:I) on a machine without CUDA, or without that GPU, is refused clearly (or works where it exists)', async () => {
    for (const device of ['cuda', 'cuda:1'] as const) {
      const model = await createModel({ model: 'resnet18', cutoff: 1, device }).catch((e) => e);
      if (model instanceof Error) {
        expect(model).toMatchObject({ code: 'E_NO_CUDA', message: expect.stringMatching(new RegExp(`'${device}' (requested but CUDA is not available|does not exist: this machine has \\d+ CUDA device)`)) });
      } else {
        expect(model.device).toMatch(/^cuda/);
        model.dispose();
      }
    }
  });
});

describe('bad tensors', () => {
  let model: Model;
  beforeAll(async () => {
    model = await createModel({ model: 'resnet18', cutoff: 3, device: 'cpu' });
  });
  afterAll(() => model.dispose());

  it('wrong rank, wrong channels, data/shape mismatch, unknown or removed unit', async () => {
    await expect(model.forward(new Float32Array(3 * 16 * 16), [3, 16, 16])).rejects.toMatchObject({
      code: 'E_BAD_INPUT', message: 'input must have rank 4 [N, C, H, W], got rank 3',
    });
    await expect(model.forward(new Float32Array(16 * 16), [1, 1, 16, 16])).rejects.toMatchObject({
      code: 'E_BAD_INPUT', message: 'input must have 3 channels, got 1',
    });
    await expect(model.forward(new Float32Array(10), [1, 3, 16, 16])).rejects.toThrow(
      'Expected dimensions whose product is 10 (the data length) for input.shape but received array of length 4',
    );
    await expect(model.forward(new Float64Array(3) as never, [1, 3, 1, 1])).rejects.toThrow(/Float32Array for input.data/);
    await expect(model.forward(new Float32Array(3 * 64 * 64), [1, 3, 64, 64], { units: ['layer4.0'] })).rejects.toMatchObject({
      code: 'E_BAD_CUTOFF', message: 'unit layer4.0 (k=8) was removed: this model keeps units 1..3',
    });
  });

  it('a too-small image surfaces LibTorch’s own message as a JS error', async () => {
    const squeezenet = await createModel({ model: 'squeezenet1_1', cutoff: 2, device: 'cpu' });
    await expect(squeezenet.forward(new Float32Array(3), [1, 3, 1, 1])).rejects.toMatchObject({
      code: 'E_TORCH', message: expect.stringMatching(/kernel size/i),
    });
    squeezenet.dispose();
  });

  it('labels out of range are refused', async () => {
    await expect(model.trainStep(new Float32Array(2 * 3 * 32 * 32), [2, 3, 32, 32], Int32Array.from([0, 5]), { lr: 0.1 }))
      .rejects.toMatchObject({ code: 'E_BAD_INPUT', message: 'labels must lie in [0, 2)' });
  });

  it('native errors outside model calls are TtlErrors too: a store whose shape does not fit its data', () => {
    const bad = () => toNativeStore({ images: new Uint8Array(3), shape: [2, 2, 2], labels: Int32Array.from([0, 1]) }, 'gray');
    expect(bad).toThrow(TtlError);
    expect(bad).toThrow(expect.objectContaining({ code: 'E_BAD_INPUT', message: 'image shape does not match the data length' }));
  });

  it('a disposed model refuses calls', async () => {
    const m = await createModel({ model: 'resnet18', cutoff: 1, device: 'cpu' });
    m.dispose();
    await expect(m.forward(new Float32Array(3 * 8 * 8), [1, 3, 8, 8])).rejects.toMatchObject({ code: 'E_DISPOSED' });
  });

  it('dispose is refused while a call on the model is running', async () => {
    const m = await createModel({ model: 'resnet18', device: 'cpu' });
    const running = m.forward(new Float32Array(2 * 3 * 128 * 128), [2, 3, 128, 128]);
    expect(() => m.dispose()).toThrow(/while 1 call\(s\) on it are running/);
    await running;
    m.dispose();
  });
});

describe('corrupt weight files', () => {
  const cases: [string, Buffer | string, RegExp][] = [
    ['empty.safetensors', Buffer.alloc(0), /0 bytes is too short/],
    ['huge-header.safetensors', Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x7b]), /header length \d+ exceeds the file/],
    ['not-json.safetensors', safetensorsBytes('{"a": [1, 2'), /header is not valid JSON/],
    ['outside.safetensors', safetensorsBytes({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, Buffer.alloc(8)), /tensor w lies outside the file \(0\.\.16 of 8 data bytes\)/],
    ['wrong-size.safetensors', safetensorsBytes({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, Buffer.alloc(8)), /tensor w has 8 bytes for shape \[3\] F32/],
    ['dtype.safetensors', safetensorsBytes({ w: { dtype: 'Q4', shape: [1], data_offsets: [0, 1] } }, Buffer.alloc(1)), /unsupported dtype Q4/],
    ['overlap.safetensors', safetensorsBytes({ a: { dtype: 'U8', shape: [4], data_offsets: [0, 4] }, b: { dtype: 'U8', shape: [4], data_offsets: [2, 6] } }, Buffer.alloc(6)), /overlap/],
    ['negative-shape.safetensors', safetensorsBytes({ w: { dtype: 'U8', shape: [-1], data_offsets: [0, 0] } }), /invalid shape/],
  ];
  it.each(cases)('%s is refused: %s', (name, bytes, message) => {
    expect(() => readSafetensors(file(name, bytes))).toThrow(message);
  });

  it('a truncated real checkpoint is refused, not half-loaded', async () => {
    const { readFileSync } = await import('node:fs');
    const whole = readFileSync(sharedWeights('squeezenet1_1-imagenet.safetensors'));
    const path = file('cut.safetensors', whole.subarray(0, whole.length - 1000));
    await expect(createModel({ model: 'squeezenet1_1', weights: path })).rejects.toMatchObject({
      code: 'E_BAD_WEIGHTS', message: expect.stringContaining('lies outside the file'),
    });
  });

  it('a .pth that is not a PyTorch checkpoint is refused', async () => {
    const model = await createModel({ model: 'resnet18', cutoff: 2, device: 'cpu' });
    await expect(model.loadWeights(file('garbage.pth', 'not a zip archive at all'))).rejects.toMatchObject({
      code: 'E_BAD_WEIGHTS', message: expect.stringContaining('garbage.pth: not a readable PyTorch checkpoint'),
    });
    await expect(model.loadWeights(join(dir, 'missing.pth'))).rejects.toMatchObject({ code: 'E_NO_FILE' });
    model.dispose();
  });

  it('a checkpoint for another architecture lists missing, unexpected and mis-shaped keys', async () => {
    const model = await createModel({ model: 'resnet18', device: 'cpu' });
    const error = await model.loadWeights(sharedWeights('squeezenet1_1-imagenet.safetensors')).catch((e) => e);
    expect(error.code).toBe('E_WEIGHTS_MISMATCH');
    expect(error.message).toMatch(/missing keys \(\d+\): bn1\.bias/);
    expect(error.message).toMatch(/unexpected keys \(\d+\): .*features\.0\.bias/);
    model.dispose();
  });

  it('mis-shaped keys name both shapes, and nothing is copied on error', async () => {
    const source = await createModel({ model: 'resnet18', cutoff: 2, numClasses: 3, device: 'cpu', seed: 1 });
    const path = join(dir, 'rgb.safetensors');
    await source.saveWeights(path);
    const gray = await createModel({ model: 'resnet18', cutoff: 2, numClasses: 3, inChannels: 1, device: 'cpu', seed: 2 });
    const before = await gray.state();
    await expect(gray.loadWeights(path)).rejects.toMatchObject({
      code: 'E_WEIGHTS_MISMATCH', message: expect.stringContaining('conv1.weight model [64, 1, 7, 7] vs checkpoint [64, 3, 7, 7]'),
    });
    const after = await gray.state();
    for (const [name, t] of after) expect(Buffer.from(t.data).equals(Buffer.from(before.get(name)!.data)), name).toBe(true);
    source.dispose();
    gray.dispose();
  });
});
