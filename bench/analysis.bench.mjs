// npm run bench -- analysis [--epochs 3] [--size 64]
// PneumoniaMNIST + SqueezeNet 1.1 ImageNet weights: linear-probe AUROC per unit, SVCCA per unit (pretrained vs
// finetuned FTL, against a random-init baseline), and the probe search's chosen TTL cutoff against the
// exhaustive two-stage search's, with the compute each one spent (MACs x images, training and probing).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cutoffTable } from '../dist/models.js';
import { runSvcca } from '../dist/analysis/index.js';
import { checkConfig, executeRun, readRunConfig } from '../dist/run/index.js';
import { readJournal } from '../dist/run/journal.js';

const shared = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared');
process.env.TTL_TORCH_MIRROR ??= shared;
const { values } = parseArgs({ options: { epochs: { type: 'string', default: '3' }, size: { type: 'string', default: '64' } } });
const base = { data: 'pneumoniamnist', model: 'squeezenet1_1', weights: 'imagenet', epochs: Number(values.epochs), imageSize: Number(values.size), batchSize: 64, lr: 0.003 };
const root = mkdtempSync(join(tmpdir(), 'ttl-analysis-'));
process.once('exit', () => rmSync(root, { recursive: true, force: true }));
const log = () => {};

const ftl = await executeRun(checkConfig({ ...base, strategies: ['ftl'], out: join(root, 'ftl') }), { log });
const svcca = await runSvcca(join(root, 'ftl'));
console.log(`FTL test AUROC ${ftl.rows[0].test.auroc.mean.toFixed(4)}; SVCCA with the finetuned network (${svcca.datapoints} datapoints):`);
for (const u of svcca.units) console.log(`  ${u.unit.padEnd(12)} pretrained ${u.pretrained.toFixed(4)}  random ${u.random.toFixed(4)}  area ${u.area.toFixed(4)}`);
for (const c of svcca.cross) console.log(`  finetuned ${c.a} vs ${c.b}: ${c.mean.toFixed(4)}`);

const exhaustive = await executeRun(checkConfig({ ...base, strategies: ['ttl'], search: 'two-stage', out: join(root, 'two-stage') }), { log });
const probe = await executeRun(checkConfig({ ...base, strategies: ['ttl'], search: 'probe', out: join(root, 'probe') }), { log });
const probes = readJournal(join(root, 'probe', 'journal.jsonl')).filter((r) => r.type === 'probe');
console.log('linear probe on frozen ImageNet features:');
for (const p of probes) console.log(`  k=${p.k} ${p.unit.padEnd(12)} val AUROC ${p.valAuroc.toFixed(4)}  test AUROC ${p.testAuroc.toFixed(4)}`);

// Compute: training ~ 3x forward MACs per image per epoch; probing = one forward pass of every split.
const rows = await cutoffTable('squeezenet1_1', { imageSize: base.imageSize });
const config = readRunConfig(join(root, 'probe'));
const trainImages = 4708;
const allImages = 4708 + 524 + 624;
const trainCost = (dir) => readJournal(join(root, dir, 'journal.jsonl')).filter((r) => r.type === 'trial')
  .reduce((a, t) => a + 3 * rows[t.cutoff - 1].ttlMacs * trainImages * config.epochs, 0);
const probeCost = rows.at(-1).macs * allImages;
const ttl2 = exhaustive.rows.find((r) => r.method === 'TTL-2');
const ttlProbe = probe.rows.find((r) => r.method === 'TTL-1');
const [costExhaustive, costProbe] = [trainCost('two-stage'), trainCost('probe') + probeCost];
console.log(`two-stage search: TTL-2 k=${ttl2.cutoff} test AUROC ${ttl2.test.auroc.mean.toFixed(4)}, ${(costExhaustive / 1e12).toFixed(2)} TMACs`);
console.log(`probe search:     k=${ttlProbe.cutoff} test AUROC ${ttlProbe.test.auroc.mean.toFixed(4)}, ${(costProbe / 1e12).toFixed(2)} TMACs (probes ${(probeCost / 1e12).toFixed(3)})`);
console.log(`agreement: ${ttl2.cutoff === ttlProbe.cutoff ? 'same cutoff' : `different cutoff (${ttlProbe.cutoff} vs ${ttl2.cutoff})`}; compute ratio probe/two-stage = ${(costProbe / costExhaustive).toFixed(3)}`);
console.log(`runs in ${root}`);
