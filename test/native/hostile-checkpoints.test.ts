// A .pth is matched to the network by names and shapes before its data is inflated, and only what the network
// takes is read: a storage the model drops is never touched, and one that inflates past its tensors is refused.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createModel, type Model } from '../../src/index.js';
// The fuzzer's writers: a state dict pickle and a ZIP whose directory can lie.
import { stateDictPickle } from '../../fuzz/formats/pickle.mjs';
import { zipBytes } from '../../fuzz/formats/zip.mjs';

const dir = mkdtempSync(join(tmpdir(), 'ttl-hostile-'));

type Entry = { name: string; data: Uint8Array; deflate?: boolean; compressed?: Uint8Array; declaredSize?: number };

/** A torch.save-shaped archive of `model`'s state, one storage per tensor; `storage` may rewrite any entry. */
async function checkpointOf(model: Model, storage: (name: string, entry: Entry) => Entry = (_, e) => e): Promise<string> {
  const state = [...(await model.state())];
  const tensors = state.map(([name, t], i) => ({
    name, type: t.dtype === 'I64' ? 'LongStorage' : 'FloatStorage', key: String(i), offset: 0, shape: t.shape,
    stride: t.shape.map((_, d) => t.shape.slice(d + 1).reduce((a, b) => a * b, 1)),
  }));
  const entries = state.map(([name, t], i) => storage(name, { name: `archive/data/${i}`, data: t.data }));
  const path = join(dir, `${Math.random().toString(36).slice(2)}.pth`);
  writeFileSync(path, zipBytes([{ name: 'archive/data.pkl', data: stateDictPickle(tensors) }, ...entries]));
  return path;
}

const weights = async (model: Model, name: string) => new Float32Array((await model.state()).get(name)!.data.slice().buffer);

describe('loading a .pth reads only what the network takes', () => {
  it('storages of units a truncated network drops are never inflated (here they would not even inflate)', async () => {
    const full = await createModel({ model: 'squeezenet1_1', numClasses: 2, device: 'cpu', seed: 1 });
    const cut = await createModel({ model: 'squeezenet1_1', cutoff: 3, numClasses: 2, device: 'cpu', seed: 2 });
    const kept = new Set((await cut.state()).keys());
    // Every tensor the cut network does not have gets a storage that is not DEFLATE at all (0xff: a reserved block type).
    const path = await checkpointOf(full, (name, e) =>
      kept.has(name) ? e : { ...e, deflate: true, compressed: new Uint8Array(64 + e.data.length / 512).fill(0xff), declaredSize: e.data.length });
    const report = await cut.loadWeights(path, { allowMissing: true });
    expect(report.dropped.length).toBeGreaterThan(10);
    expect(report.loaded).toContain('features.0.weight');
    expect(await weights(cut, 'features.0.weight')).toEqual(await weights(full, 'features.0.weight'));
    full.dispose();
    cut.dispose();
  });

  it('a storage that inflates past the tensor it backs is refused before it is inflated', async () => {
    const model = await createModel({ model: 'squeezenet1_1', numClasses: 2, device: 'cpu', seed: 1 });
    const zeros = new Uint8Array(64 * 1024 ** 2);
    const path = await checkpointOf(model, (name, e) => (name === 'features.0.weight' ? { ...e, data: zeros, deflate: true } : e));
    await expect(model.loadWeights(path)).rejects.toMatchObject({
      code: 'E_BAD_WEIGHTS', message: expect.stringContaining(`inflates to ${zeros.length} bytes but the tensors loaded from it read ${64 * 3 * 3 * 3 * 4}`),
    });
    model.dispose();
  });

  it('a pickle larger than any state dict needs is refused from the directory, before it is inflated', async () => {
    const model = await createModel({ model: 'squeezenet1_1', numClasses: 2, device: 'cpu', seed: 1 });
    const path = join(dir, 'pickle-bomb.pth');
    writeFileSync(path, zipBytes([{ name: 'archive/data.pkl', data: new Uint8Array(0), deflate: true, compressed: deflateRawSync(new Uint8Array(20 * 1024 ** 2)), declaredSize: 20 * 1024 ** 2 }]));
    await expect(model.loadWeights(path)).rejects.toMatchObject({ code: 'E_BAD_WEIGHTS', message: expect.stringMatching(/data\.pkl declares 20971520 bytes; a state dict needs far less than the 16 MiB/) });
    model.dispose();
  });

  it('a checkpoint that does not fit is refused by name and shape, as the full load would be', async () => {
    const model = await createModel({ model: 'squeezenet1_1', numClasses: 2, device: 'cpu', seed: 1 });
    const other = await createModel({ model: 'squeezenet1_1', numClasses: 2, inChannels: 1, device: 'cpu', seed: 1 });
    await expect(model.loadWeights(await checkpointOf(other))).rejects.toMatchObject({ code: 'E_WEIGHTS_MISMATCH', message: expect.stringContaining('features.0.weight model [64, 3, 3, 3] vs checkpoint [64, 1, 3, 3]') });
    model.dispose();
    other.dispose();
  });
});
