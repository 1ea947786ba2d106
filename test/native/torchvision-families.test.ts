// The families added for issue #38 against torchvision itself, not against ourselves: test/support/tools/
// torchvision_reference.py builds each network with torchvision (random weights, randomised BatchNorm statistics),
// writes its state dict, an input, the logits and every unit's pooled output, and counts params and MACs per
// cutoff with ptflops (pytorch backend, count_functional off). Reference Python: pip's torch 2.x wheel with its
// torchvision (.venv, the pip leg) or Debian's python3-torch and python3-torchvision (the Debian leg); ptflops (pure
// Python) from PyPI, in a folder of the test venv that either puts on its path (bash scripts/setup.sh --test).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModel, getModelCard, listModels } from '../../src/index.js';
import { cutoffTable } from '../../src/models.js';
import { readSafetensors } from '../../src/weights/index.js';
import { floats, gap, relativeError, root, spawnAsync } from '../support/helpers.js';
import { testVenv } from '../support/test-venv.js';

const FAMILIES = [
  'densenet169', 'densenet201', 'resnext50_32x4d', 'wide_resnet50_2',
  'efficientnet_b0', 'efficientnet_b1', 'efficientnet_b2', 'efficientnet_b3', 'efficientnet_b4', 'efficientnet_v2_s',
];
/** The card's own size and a small one (odd feature-map sizes on the way down). */
const SIZES = [224, 72];

/** The reference Python: the pip venv's where it exists, else Debian's; ptflops from the test venv's folder. */
function referencePython(): { python: string; env: NodeJS.ProcessEnv; lacking?: string } {
  const pip = join(resolve(root, process.env.TTL_TORCH_VENV || '.venv'), 'bin', 'python');
  const python = existsSync(pip) ? pip : process.env.TTL_TORCH_PYTHON ?? '/usr/bin/python3';
  const env = { ...process.env, PYTHONPATH: join(testVenv, 'ptflops') };
  const probe = spawnSync(python, ['-c', 'import torch, torchvision, ptflops'], { encoding: 'utf8', env });
  return { python, env, lacking: probe.status === 0 ? undefined : `torch, torchvision and ptflops for ${python} (${probe.stderr?.trim().split('\n').at(-1)})` };
}

interface Reference { units: string[]; cutoffs: { k: number; params: number; macs: number }[]; full: { params: number; macs: number } }
const reference = referencePython();
const work = mkdtempSync(join(tmpdir(), 'ttl-torchvision-'));
const reports: Record<number, Record<string, Reference>> = {};
afterAll(() => rmSync(work, { recursive: true, force: true }));

beforeAll(async () => {
  if (reference.lacking) return;
  for (const size of SIZES) {
    // Awaited, not spawnSync: 30-40 s of Python would block this worker past vitest's RPC timeout.
    const r = await spawnAsync(reference.python, [join(root, 'test', 'support', 'tools', 'torchvision_reference.py'), work, String(size), ...FAMILIES], { env: reference.env });
    if (r.status !== 0) throw new Error(`torchvision_reference.py failed: ${r.stderr}`);
    reports[size] = JSON.parse(r.stdout);
  }
}, 600_000);

describe.skipIf(!!reference.lacking && !process.env.CI)('new families against torchvision', () => {
  it('the reference is installed, and listModels() shows every family', () => {
    expect(reference.lacking, `${reference.lacking}: bash scripts/setup.sh --test`).toBeUndefined();
    expect(listModels()).toEqual(expect.arrayContaining(FAMILIES));
  });

  describe.each(FAMILIES)('%s', (name) => {
    it.each(SIZES)('logits and every unit\'s pooled output equal torchvision\'s at %i px (1e-4 relative)', async (size) => {
      const ref = reports[size][name];
      expect(getModelCard(name).units).toEqual(ref.units);
      const path = join(work, `${name}-${size}.safetensors`);
      const file = readSafetensors(path);
      const input = floats(file, 'input');
      const net = await createModel({ model: name, device: 'cpu' });
      const loaded = await net.loadWeights(path, { prefix: 'weights.' });
      expect(loaded.missing).toEqual([]);
      const result = await net.forward(input.data, input.shape, { units: ref.units.map((_, i) => i + 1) });
      expect(relativeError(result.output.data, floats(file, 'expected.logits').data), 'logits').toBeLessThan(1e-4);
      ref.units.forEach((unit, i) => {
        expect(relativeError(gap(result.units[unit]), floats(file, `expected.gap.k${i + 1}`).data), `${unit} (k = ${i + 1})`).toBeLessThan(1e-4);
      });
      net.dispose();
    });

    it.each(SIZES)('params and MACs equal ptflops\' for every cutoff and the whole network at %i px', async (size) => {
      const ref = reports[size][name];
      const rows = await cutoffTable(name, { imageSize: size, device: 'cpu' });
      expect(rows.map((r) => ({ k: r.k, params: r.params, macs: r.macs }))).toEqual(ref.cutoffs);
      const full = await createModel({ model: name, device: 'cpu' });
      const total = await full.complexity([3, size, size]);
      expect({ params: total.params, macs: total.macs }).toEqual(ref.full);
      full.dispose();
    });
  });
});
