// PENet, the paper's handcrafted 3D baseline: the C++ network reproduces a PyTorch reference written from the
// PENet code's structure (same parameter names, GroupNorm + squeeze-excitation), and its size matches the paper.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createModel } from '../../src/index.js';
import { toFloat32 } from '../../src/weights/index.js';
import { readPth } from '../../src/weights/pth.js';
import { relativeError, root } from '../support/helpers.js';

const debianPython = process.env.TTL_TORCH_PYTHON ?? '/usr/bin/python3';

describe('penet', () => {
  it('has 28.4 M parameters with a 1-class head, 17 units, and truncates at block ends', async () => {
    const model = await createModel({ model: 'penet', numClasses: 1, device: 'cpu' });
    const c = await model.complexity([3, 8, 32, 32]);
    expect(c.params).toBe(28_398_705);
    expect(model.units.map((u) => u.reduction)).toEqual([4, 4, 4, 4, 8, 8, 8, 8, 16, 16, 16, 16, 16, 16, 32, 32, 32]);
    model.dispose();
    const cut = await createModel({ model: 'penet', cutoff: 'block2', numClasses: 2, device: 'cpu' });
    expect(cut.units.at(-1)?.name).toBe('encoders.1.penet_blocks.3');
    const half = await createModel({ model: 'penet', slimAfter: 'block3', numClasses: 2, device: 'cpu' });
    expect(half.units.at(-1)?.outChannels).toBe(1024); // TF: stage 4 rebuilt at half width
    cut.dispose();
    half.dispose();
  });

  it('loads the reference state dict by name and reproduces its output map (eval mode)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ttl-penet-'));
    const py = spawnSync(debianPython, [join(root, 'test', 'support', 'tools', 'penet_reference.py'), dir], { encoding: 'utf8' });
    expect(py.stderr).toBe('');
    expect(py.status).toBe(0);
    const model = await createModel({ model: 'penet', head: 'none', device: 'cpu', weights: join(dir, 'penet.pth') });
    expect(model.loadReport!.loaded.length).toBe((await model.state()).size); // every tensor, by its reference name
    const io = new Map((await readPth(join(dir, 'penet-io.pth'))).map((t) => [t.name, t]));
    const input = io.get('input')!;
    const expected = toFloat32(io.get('output')!);
    const { output } = await model.forward(toFloat32(input), input.shape);
    expect(output.shape).toEqual(io.get('output')!.shape);
    expect(relativeError(output.data, expected)).toBeLessThan(1e-4);
    model.dispose();
  });
});
