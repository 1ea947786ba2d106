// npm run bench -- profile [--steps 3] [--threads 2]
// Where a training step's time goes, op by op (issue #26): bench/profile_step.py runs the step of
// `npm run bench -- step` under torch.profiler on the same LibTorch ttl-torch uses and sums self CPU time by kind of
// work (convolution forward/backward, batch norm, ReLU, residual add, optimizer, ...). Networks: ResNet-50 at 128 px
// and DenseNet-121 at 128 px (batch 16, channels-last, ttl-torch's CPU default for 2D), the 3D ResNet-18 at 28^3
// (batch 8, contiguous, likewise). ResNet-50 on Debian's PyTorch 1.13 and on PyTorch 2.x (.venv); DenseNet-121
// needs torchvision, so 2.x only; the 3D one on 1.13. Writes bench/results/step-profile.json.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({ options: { steps: { type: 'string', default: '3' }, threads: { type: 'string', default: '2' } } });
const pythons = { 'PyTorch 1.13': '/usr/bin/python3', 'PyTorch 2.x': join(here, '..', '.venv', 'bin', 'python') };
const cases = [
  { model: 'resnet50', batch: 16, size: 128, layout: 'channels-last', python: 'PyTorch 1.13' },
  { model: 'resnet50', batch: 16, size: 128, layout: 'channels-last', python: 'PyTorch 2.x' },
  { model: 'densenet121', batch: 16, size: 128, layout: 'channels-last', python: 'PyTorch 2.x' },
  { model: 'resnet3d_18', batch: 8, size: 28, layout: 'contiguous', python: 'PyTorch 1.13' },
];
const rows = cases.map((c) => {
  const args = [join(here, 'profile_step.py'), c.model, c.batch, c.size, values.steps, values.threads, c.layout].map(String);
  const r = spawnSync(pythons[c.python], args, { encoding: 'utf8', cwd: here, timeout: 1_800_000 });
  if (r.status !== 0) throw new Error(`${c.python} profile_step.py ${c.model} failed (${r.status ?? r.signal}): ${r.stderr.slice(-2000)}`);
  const profile = JSON.parse(r.stdout.trim().split('\n').pop());
  const conv = (profile.kinds['convolution forward'] ?? 0) + (profile.kinds['convolution backward'] ?? 0);
  // The most any change outside the convolutions could buy: the step with everything else taking no time.
  const row = { ...c, ...profile, convolutionShare: conv / profile.msPerStep, ceilingWithoutOtherWork: profile.msPerStep / conv };
  console.log(`${c.model} (${c.python}, ${c.layout}): ${profile.msPerStep.toFixed(0)} ms a step, convolutions ${(100 * row.convolutionShare).toFixed(0)}%; ` +
    Object.entries(profile.kinds).map(([k, ms]) => `${k} ${ms.toFixed(0)}`).join(', '));
  return row;
});
const out = join(here, 'results', 'step-profile.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify({ threads: Number(values.threads), steps: Number(values.steps), measuredAt: new Date().toISOString(), rows }, null, 2) + '\n');
console.log(`wrote ${out}`);
