// `ttl-torch run` end to end on the backbones issue #38 added (random initialisation: no ImageNet weights for them
// are reachable here), on a shared set: FTL and TTL at one block cutoff, complexity and latency, SVCCA and Grad-CAM,
// the report.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { getModelCard } from '../../src/index.js';
import { root, shared, spawnNode } from '../support/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'ttl-families-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const cli = join(root, 'dist', 'cli', 'main.js');

describe('ttl-torch run on the new families', () => {
  // Wide ResNet-50-2 is ResNeXt's family (resnet) at twice the cost: parity, complexity, serving and ONNX cover it.
  it.each(['efficientnet_b0', 'resnext50_32x4d', 'densenet169'])('%s: FTL and TTL at its second block end, with the report and analyses', async (model) => {
    const out = join(dir, model);
    const card = getModelCard(model);
    const k = card.blocks[1];
    const r = await spawnNode([
      cli, 'run', '--data', join(shared, 'data', 'breastmnist', 'breastmnist.npz'), '--model', model, '--weights', 'none', '--epochs', '1',
      '--image-size', '32', '--strategies', 'ftl,ttl', '--search', `k=${k}`, '--analyses', 'svcca,gradcam', '--out', out,
    ], { env: { ...process.env, TTL_TORCH_THREADS: '2' } });
    expect(r.status, r.stderr + r.stdout).toBe(0);
    const trials = readFileSync(join(out, 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((t) => t.type === 'trial');
    expect(trials.map((t) => [t.id, t.status]).sort()).toEqual([[`ftl-k${card.units.length}-s0`, 'ok'], [`ttl-k${k}-s0`, 'ok']]);
    const results = readFileSync(join(out, 'results.md'), 'utf8');
    expect(results).toMatch(new RegExp(`\\| TTL-1 \\| [0-9.]+ \\|.*\\| ${k} \\|`));
    expect(existsSync(join(out, 'report.html'))).toBe(true);
    const analysis = readdirSync(join(out, 'analysis'));
    expect(analysis.some((f) => /svcca/i.test(f)), analysis.join(', ')).toBe(true);
    expect(analysis.some((f) => /gradcam/i.test(f)), analysis.join(', ')).toBe(true);
  }, 300_000);
});
