// The binding takes what TypeScript validated and completed: it refuses a missing, mistyped or unknown field
// by name instead of falling back to a default (an unknown head kind used to become a linear head).
import { describe, expect, it } from 'vitest';
import { optimOptions } from '../../src/model.js';
import { native } from '../../src/native/loader.js';
import type { NativeArchSpec, NativeModel } from '../../src/native/binding.js';

const spec: NativeArchSpec = {
  family: 'resnet', block: 'basic', layers: [2, 2, 2, 2], keepUnits: 3, slimAfter: -1, inChannels: 3,
  head: { kind: 'linear', numClasses: 2, dropout: 0, zeroInit: false, multiLabel: false },
};
const modelOptions = { device: 'cpu', seed: 0, threads: 0, memoryFormat: 'auto' };
const pipeline = { size: 16, channels: 3, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] };
const refused = (message: string) => expect.objectContaining({ code: 'E_BAD_ARGUMENT', message });
// Fields the typed surface does not allow: the test feeds them as the untyped JS a caller could pass.
const loose = <T>(value: Record<string, unknown>) => value as unknown as T;

async function model(): Promise<NativeModel> {
  return native().createModel(spec, modelOptions);
}

function store() {
  return new (native().Store)(new Uint8Array(4 * 16 * 16), [4, 16, 16], Int32Array.from([0, 1, 0, 1]), false);
}

describe('binding refusals', () => {
  it('createModel: a missing field, an unknown head kind, an unknown field, a mistyped option', () => {
    const { keepUnits: _k, ...noKeep } = spec;
    expect(() => native().createModel(loose(noKeep), modelOptions)).toThrow(refused('arch spec.keepUnits is missing (expected an integer)'));
    expect(() => native().createModel(loose({ ...spec, head: { ...spec.head, kind: 'lineer' } }), modelOptions)).toThrow(
      refused("arch spec head.kind must be one of original, linear, none, unet, got 'lineer'"),
    );
    expect(() => native().createModel(loose({ ...spec, keepUnit: 3 }), modelOptions)).toThrow(refused("arch spec: unknown field 'keepUnit'" +
      ' (known: family, block, variant, normEps, layers, growthRate, numInitFeatures, bnSize, cardinality, widthPerGroup, keepUnits, slimAfter, inChannels, head)'));
    expect(() => native().createModel(spec, loose({ device: 'cpu', seed: 0 }))).toThrow(refused('model options.threads is missing (expected an integer)'));
    expect(() => native().createModel(spec, loose({ device: 'cpu', seed: 0, threads: 0 }))).toThrow(refused('model options.memoryFormat is missing (expected a string)'));
    expect(() => native().createModel(spec, loose({ ...modelOptions, seed: 0.5 }))).toThrow(refused('model options.seed must be an integer'));
    expect(() => native().createModel(loose({ ...spec, layers: [2, 'two', 2, 2] }), modelOptions)).toThrow(refused('arch spec.layers must be an array of integers'));
  });

  it('configureTraining: every optimiser field is required, unknown values and fields are refused', async () => {
    const net = await model();
    const { autocast: _a, ...noAutocast } = optimOptions({ lr: 0.1 });
    expect(() => net.configureTraining(loose(noAutocast))).toThrow(refused('optim options.autocast is missing (expected a string)'));
    expect(() => net.configureTraining(loose({ ...optimOptions({ lr: 0.1 }), optimizer: 'adam' }))).toThrow(
      refused("optim options.optimizer must be one of sgd, adamw, got 'adam'"),
    );
    expect(() => net.configureTraining(loose({ ...optimOptions({ lr: 0.1 }), learningRate: 0.1 }))).toThrow(
      expect.objectContaining({ code: 'E_BAD_ARGUMENT', message: expect.stringMatching(/^optim options: unknown field 'learningRate' \(known: optimizer, lr, /) }),
    );
    await expect(net.configureTraining(optimOptions({ lr: 0.1 }))).resolves.toBeUndefined();
    net.dispose();
  });

  it('pipelines and epochs: no default mean/std, no default augmentation values, no default batch size', async () => {
    const net = await model();
    const { mean: _m, ...noMean } = pipeline;
    expect(() => net.predict(store(), loose(noMean), 2)).toThrow(refused('pipeline options.mean is missing (expected an array of numbers)'));
    expect(() => net.predict(store(), loose({ ...pipeline, augment: { hflip: true } }), 2)).toThrow(
      refused('pipeline options augment.cropScaleMin is missing (expected a number)'),
    );
    await net.configureTraining(optimOptions({ lr: 0.1 }));
    expect(() => net.trainEpoch(store(), pipeline, loose({ seed: 0, epoch: 0 }))).toThrow(refused('epoch options.batchSize is missing (expected an integer)'));
    const probs = await net.predict(store(), pipeline, 2);
    expect(probs.shape).toEqual([4, 2]);
    net.dispose();
  });

  it('multi-label: a store with targets needs a sigmoid network, targets are 0/1 [N, L], posWeight needs a multi-label network', async () => {
    const images = new Uint8Array(4 * 16 * 16);
    const targets = (data: number[], shape = [4, 2]) => ({ data: Float32Array.from(data), shape });
    const multi = (t: ReturnType<typeof targets>) => new (native().Store)(images, [4, 16, 16], new Int32Array(4), false, undefined, t);
    expect(() => multi(targets([0, 1, 1, 0.5, 0, 0, 1, 1]))).toThrow(expect.objectContaining({ code: 'E_BAD_INPUT', message: 'targets must be 0 or 1' }));
    expect(() => multi(targets([0, 1, 1, 0], [2, 2]))).toThrow(expect.objectContaining({ code: 'E_BAD_INPUT', message: 'targets must be [N, labels] with one row per image' }));
    const softmax = await model();
    await softmax.configureTraining(optimOptions({ lr: 0.1 }));
    const store = multi(targets([0, 1, 1, 0, 0, 0, 1, 1]));
    await expect(softmax.evaluate(store, pipeline, 2)).rejects.toMatchObject({ code: 'E_BAD_INPUT', message: expect.stringContaining('a store with multi-label targets needs a multi-label network') });
    await expect(softmax.configureTraining({ ...optimOptions({ lr: 0.1 }), posWeight: [1, 2] })).rejects.toMatchObject(refused('posWeight is for a multi-label network (one sigmoid per label)'));
    const sigmoid = await native().createModel({ ...spec, head: { ...spec.head, numClasses: 3, multiLabel: true } }, modelOptions);
    await expect(sigmoid.evaluate(store, pipeline, 2)).rejects.toMatchObject({ code: 'E_BAD_INPUT', message: expect.stringContaining('needs targets [N, 3]') });
    await expect(sigmoid.configureTraining({ ...optimOptions({ lr: 0.1 }), classWeights: [1, 1, 1] })).rejects.toMatchObject(refused('classWeights weigh the classes of a softmax; a multi-label network takes posWeight'));
    await expect(native().createModel({ ...spec, head: { ...spec.head, kind: 'none', multiLabel: true } }, modelOptions)).rejects.toMatchObject(
      refused("a multi-label network needs a classification head ('linear' or 'original')"),
    );
    softmax.dispose();
    sigmoid.dispose();
  });

  it('loadState: options and entries are complete', async () => {
    const net = await model();
    expect(() => net.loadState([], loose({ allowMissing: true, layout: '', requireHead: false }))).toThrow(refused('load options.prefix is missing (expected a string)'));
    expect(() => net.loadState(loose([{ name: 'fc.bias', shape: [2], data: new Uint8Array(8) }]), { allowMissing: true, layout: '', prefix: '', requireHead: false })).toThrow(
      refused('state entry.dtype is missing (expected a string)'),
    );
    net.dispose();
  });
});
