// The architectures against torchvision of the PyTorch 2.x line (the .venv that setup.sh --libtorch pip makes):
// the fixtures come from Debian's PyTorch 1.13, and this says whether the newer torchvision builds the same
// networks. Runs where that venv exists (the pip leg of .ci/run).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listModels } from '../../src/index.js';
import { cutoffTable } from '../../src/cutoff/table.js';
import { root } from '../support/helpers.js';

const python = join(resolve(root, process.env.TTL_TORCH_VENV || '.venv'), 'bin', 'python');
const models = ['resnet18', 'resnet34', 'resnet50', 'resnet101', 'resnet152', 'densenet121', 'squeezenet1_1', 'r3d_18',
  'densenet169', 'densenet201', 'resnext50_32x4d', 'wide_resnet50_2', 'efficientnet_b0', 'efficientnet_v2_s'];

describe.runIf(existsSync(python))('torchvision 2.x builds the same backbones (needs the pip venv)', () => {
  it('every torchvision backbone has the parameter count of the whole ttl-torch network (k = n)', async () => {
    expect(listModels()).toEqual(expect.arrayContaining(models));
    const r = spawnSync(python, [join(root, 'test', 'support', 'tools', 'torchvision_params.py'), ...models], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const torchvision = JSON.parse(r.stdout) as Record<string, number>;
    for (const name of models) {
      const rows = await cutoffTable(name);
      expect([name, rows.at(-1)!.params]).toEqual([name, torchvision[name]]);
    }
  });
});
