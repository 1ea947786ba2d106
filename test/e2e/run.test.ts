// `ttl-torch run` end to end as a child process on real data (BreastMNIST, real SqueezeNet weights),
// including killing it mid-run and resuming, and regenerating reports from the journal alone.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getModelCard } from '../../src/index.js';
import { checkConfig, executeRun, planStageOne, planStageTwo, readRunConfig } from '../../src/run/index.js';
import { report, resume, run } from '../../src/index.js';
import { chooseImageSize } from '../../src/run/image-size.js';
import { root, shared, spawnNode, testCacheDir } from '../support/helpers.js';

const cli = join(root, 'dist', 'cli', 'main.js');
const env = { ...process.env, TTL_TORCH_MIRROR: shared, TTL_TORCH_OFFLINE: '1', TTL_TORCH_CACHE: testCacheDir, TTL_TORCH_THREADS: '1' };
const tiny = ['--data', 'breastmnist', '--model', 'squeezenet1_1', '--weights', 'imagenet', '--epochs', '1', '--image-size', '32', '--batch-size', '32', '--analyses', 'none'];
const lines = (path: string) => readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));

describe('search plan', () => {
  const card = getModelCard('resnet50');
  const config = checkConfig({ model: 'resnet50', strategies: 'ftl,lwft,tf,ttl', search: 'two-stage', repeats: 2, out: '/tmp/x' });

  it('stage 1 trains every block boundary below the full network, each with every seed', () => {
    const trials = planStageOne(card, config);
    expect(trials.filter((t) => t.strategy === 'ttl').map((t) => t.id)).toEqual(['ttl-k4-s0', 'ttl-k4-s1', 'ttl-k8-s0', 'ttl-k8-s1', 'ttl-k14-s0', 'ttl-k14-s1']);
    expect(trials.filter((t) => t.strategy === 'tf').map((t) => t.cutoff)).toEqual([4, 4, 8, 8, 14, 14]);
    expect(trials.filter((t) => t.strategy === 'ftl').map((t) => t.stage)).toEqual([0, 0]);
  });

  it('TTL at k = n is the FTL trial: planned once, never as a TTL trial', () => {
    const only = checkConfig({ model: 'resnet50', strategies: 'ttl', search: 'k=14,17', out: '/tmp/x' });
    expect(planStageOne(card, only).map((t) => t.id)).toEqual(['ftl-k17-s0', 'ttl-k14-s0']);
    const both = checkConfig({ model: 'resnet50', strategies: 'ftl,ttl', search: 'k=17', out: '/tmp/x' });
    expect(planStageOne(card, both).map((t) => t.id)).toEqual(['ftl-k17-s0']);
  });

  it('stage 2 never reaches the full network', () => {
    const trials = planStageTwo(card, { ...config, radius: 2 }, new Map([['ttl', 14]]));
    expect([...new Set(trials.map((t) => t.cutoff))]).toEqual([12, 13, 15, 16]);
    const top = planStageTwo(card, { ...config, radius: 3 }, new Map([['ttl', 16]]));
    expect([...new Set(top.map((t) => t.cutoff))]).toEqual([13, 15]);
  });

  it('stage 2 trains the neighbours of the best block on both sides', () => {
    const trials = planStageTwo(card, { ...config, radius: 2 }, new Map([['ttl', 14]]));
    expect([...new Set(trials.map((t) => t.cutoff))]).toEqual([12, 13, 15, 16]);
    expect(trials.every((t) => t.stage === 2)).toBe(true);
  });

  it('a YAML config file is read, and flags override it', async () => {
    const { writeFileSync } = await import('node:fs');
    const { resolveConfig } = await import('../../src/cli/run.js');
    const path = join(mkdtempSync(join(tmpdir(), 'ttl-yaml-')), 'exp.yaml');
    writeFileSync(path, 'model: resnet18\nstrategies: [ftl, ttl]\nsearch: two-stage\nepochs: 7\nlr: 0.02\n');
    const config = resolveConfig({ config: path, epochs: '2', out: '/tmp/x' });
    expect(config).toMatchObject({ model: 'resnet18', strategies: ['ftl', 'ttl'], search: 'two-stage', epochs: 2, lr: 0.02 });
    writeFileSync(path, 'model: [unclosed\n');
    expect(() => resolveConfig({ config: path })).toThrow(/^config file .*exp\.yaml: /);
  });

  it('bad settings are named', () => {
    expect(() => checkConfig({ search: 'deep' })).toThrow("Expected 'block', 'two-stage', 'all', 'probe' or 'k=LIST' (e.g. k=4,8,14) for search but received 'deep' of type string");
    expect(() => checkConfig({ strategies: 'ttl,xyz' })).toThrow("Expected one of 'ftl', 'ffe', 'lwft', 'tf', 'ttl' for strategies[1] but received 'xyz' of type string");
    expect(() => checkConfig({ search: 'k=3,99' })).toThrow('search k=99 is out of range for squeezenet1_1: use 1..9');
  });
});

describe('ttl-torch run (child process)', () => {
  it('produces the table, the journal, checkpoints and a report; `report` regenerates them from the journal', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'ttl-run-')), 'breast');
    const run = await spawnNode([cli, 'run', ...tiny, '--strategies', 'ftl,ffe,ttl', '--search', 'two-stage', '--out', out], { env });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/breastmnist: 2 classes \[0, 1\], train 546 \(147\/399\)/);
    expect(run.stdout).toMatch(/^\| Method \| AUROC \| AUPRC \| AUROC 95% CI \| n \| P\(M\) \| MACs\(G\) \| T\(ms\) \| cutoff k \|$/m);
    // One repeat: a value, its DeLong interval and n = 1, never "± 0.0000".
    for (const method of ['FTL', 'FFE', 'TTL-1', 'TTL-2', 'TTL-1SE'])
      expect(run.stdout).toMatch(new RegExp(`^\\| ${method} \\| 0\\.\\d{4} \\| 0\\.\\d{4} \\| 0\\.\\d{3}-[01]\\.\\d{3} \\| 1 \\|`, 'm'));
    expect(run.stdout).not.toContain('± 0.0000');
    const journal = lines(join(out, 'journal.jsonl'));
    const trials = journal.filter((r) => r.type === 'trial');
    expect(trials.map((t) => t.id)).toEqual(expect.arrayContaining(['ftl-k9-s0', 'ffe-k9-s0', 'ttl-k3-s0', 'ttl-k5-s0']));
    expect(trials.filter((t) => t.strategy === 'ttl').every((t) => t.cutoff < 9)).toBe(true);
    for (const t of trials) {
      expect(t.testCi.low).toBeLessThanOrEqual(t.test.auroc);
      expect(t.testCi.high).toBeGreaterThanOrEqual(t.test.auroc);
      expect(t.valSe).toBeGreaterThan(0);
      expect(existsSync(join(out, 'trials', t.id, 'predictions.json'))).toBe(true);
    }
    expect(trials.some((t) => t.stage === 2)).toBe(true);
    for (const t of trials) expect(existsSync(join(out, 'trials', t.id, 'best.safetensors'))).toBe(true);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    for (const row of results.rows) expect(html).toContain(`<td>${row.method}</td><td>${row.test.auroc.mean.toFixed(4)}</td>`);
    expect(html).not.toMatch(/<script|https?:\/\//);
    // Four cutoff/epoch charts, then the test ROC and precision-recall curves.
    expect((html.match(/<svg /g) ?? []).length).toBe(6);
    expect(results.significance.map((t: { method: string }) => t.method)).toEqual(['FFE', 'TTL-1', 'TTL-2', 'TTL-1SE']);

    rmSync(join(out, 'results.json'));
    rmSync(join(out, 'report.html'));
    const report = await spawnNode([cli, 'report', out], { env });
    expect(report.status).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')).rows).toEqual(results.rows);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toBe(html);
  });

  it('a run killed mid-way resumes without redoing journaled trials', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'ttl-kill-')), 'breast');
    const child = spawn(process.execPath, [cli, 'run', ...tiny, '--epochs', '2', '--strategies', 'ftl,ttl', '--search', 'all', '--out', out], { env });
    const journal = join(out, 'journal.jsonl');
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (existsSync(journal) && lines(journal).length >= 2) {
          clearInterval(timer);
          child.kill('SIGKILL');
          resolve();
        }
      }, 20);
      child.on('exit', () => (clearInterval(timer), reject(new Error('the run finished before it could be killed'))));
    });
    await new Promise((resolve) => child.once('exit', resolve));
    const before = lines(journal).map((r) => r.id);
    expect(before.length).toBeLessThan(10);
    const resumed = await spawnNode([cli, 'run', '--resume', out], { env });
    expect(resumed.status).toBe(0);
    for (const id of before) expect(resumed.stdout).toContain(`skip ${id} (journaled)`);
    const ids = lines(journal).filter((r) => r.type === 'trial').map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length); // nothing trained twice
    expect(ids).toHaveLength(1 + 8); // FTL + TTL at every unit below the full network
    expect(ids.slice(0, before.length)).toEqual(before);
    expect(readdirSync(join(out, 'trials'))).toHaveLength(9);
  });

  it('reports the run\'s progress to its end: trial i of N with a run ETA, each step after the trials with its estimate, and JSON-lines events with --json', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'ttl-progress-')), 'breast');
    const plain = await spawnNode([cli, 'run', ...tiny, '--strategies', 'ftl,ttl', '--out', out, '--analyses', 'svcca,gradcam'], { env });
    expect(plain.status, plain.stderr).toBe(0);
    expect(plain.stdout).toMatch(/^\[trial 1\/3\] ftl-k9-s0: stage 0 \(full network\)$/m);
    expect(plain.stdout).toMatch(/^\[trial 3\/3, run ETA \d+ s\] ttl-k5-s0: stage 1$/m);
    expect(plain.stdout).toMatch(/^after the trials: latency of 3 models \(~\d+ s\), analysis svcca \(~\d+ s\), analysis gradcam \(~\d+ s\)$/m);
    expect(plain.stdout).toMatch(/^\[finishing 2\/3, ETA \d+ s\] analysis svcca$/m);
    expect(plain.stdout).toMatch(/^analysis svcca: written to .*analysis \(\d+ s, estimated \d+ s\)$/m);
    const json = await spawnNode([cli, 'run', ...tiny, '--strategies', 'ftl,ttl', '--out', `${out}-json`, '--json'], { env });
    expect(json.status, json.stderr).toBe(0);
    const events = json.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(events.filter((e) => e.event === 'trial').map((e) => [e.trial, e.index, e.total])).toEqual([['ftl-k9-s0', 1, 3], ['ttl-k3-s0', 2, 3], ['ttl-k5-s0', 3, 3]]);
    // Once a trial has shown the speed, the run's ETA includes the latency timing that follows the trials.
    expect(events.filter((e) => e.event === 'trial')[1].finishingSeconds).toBeGreaterThan(0);
    expect(events.filter((e) => e.event === 'epoch')).toHaveLength(3);
    expect(events.at(-1).event).toBe('results');
    expect(events.at(-1).rows.map((r: { method: string }) => r.method)).toContain('TTL-1');
  });

  it('--dry-run prints the plan and an estimate, and trains nothing', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'ttl-dry-')), 'breast');
    const run = await spawnNode([cli, 'run', ...tiny, '--strategies', 'ftl,ttl', '--out', out, '--dry-run'], { env });
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/ttl-k5-s0\s+stage 1\s+~\d+ s/);
    expect(run.stdout).toMatch(/3 trials, estimated [\d.]+ min from a \d+ img\/s probe/);
    expect(existsSync(join(out, 'journal.jsonl'))).toBe(false);
  });
});

describe('probe search', () => {
  it('probes every unit once, then finetunes only the top cutoffs by probe validation AUROC', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'ttl-probe-')), 'probe');
    const run = await spawnNode([cli, 'run', ...tiny, '--strategies', 'ttl', '--search', 'probe', '--probe-top', '2', '--out', out], { env });
    expect(run.status, run.stderr).toBe(0);
    const journal = lines(join(out, 'journal.jsonl'));
    const probes = journal.filter((r) => r.type === 'probe');
    expect(probes.map((p) => p.k)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const top = [...probes].sort((a, b) => b.valAuroc - a.valAuroc || a.k - b.k).slice(0, 2).map((p) => p.k).sort((a, b) => a - b);
    expect(journal.filter((r) => r.type === 'trial').map((t) => t.cutoff)).toEqual(top);
    expect(run.stdout).toMatch(/^probe features\.7 \(k=5\): val AUROC 0\.\d{4}/m);
  });
});

describe('the default demo', () => {
  it('offline with nothing cached, names every missing file and where to put it', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'ttl-demo-')), 'demo');
    const run = await spawnNode([cli, 'run', '--out', out], {
      env: { ...env, TTL_TORCH_MIRROR: '', TTL_TORCH_CACHE: join(out, 'cache') },
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('cannot start the run:');
    expect(run.stderr).toMatch(/dataset pneumoniamnist is not available offline\. Put pneumoniamnist\.npz in .*cache\/data/);
    expect(run.stderr).toMatch(/weights squeezenet1_1:imagenet are not available offline\. Put squeezenet1_1-imagenet\.safetensors or squeezenet1_1-b8a52dc0\.pth in/);
    expect(existsSync(join(out, 'journal.jsonl'))).toBe(false);
  });

  it('with the mirror, the no-argument command is a complete FTL vs TTL block search (dry run)', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'ttl-cwd-'));
    const run = await spawnNode([cli, 'run', '--dry-run'], { env, cwd });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/plan for .*runs\/squeezenet1_1-pneumoniamnist: squeezenet1_1 on pneumoniamnist \(4708 training images\), 3 epochs/);
    expect(run.stdout.match(/^  (ftl|ttl)-k\d+-s0/gm)).toEqual(['  ftl-k9-s0', '  ttl-k3-s0', '  ttl-k5-s0']);
  });
});

describe('sizes that follow the data', () => {
  const adrenal = join(shared, 'data', 'adrenalmnist3d', 'adrenalmnist3d.npz');
  const choose = (over: Record<string, unknown>) => chooseImageSize(checkConfig({ out: '/tmp/x', weights: null, ...over }));

  it('with no size given, a 3D network trains MedMNIST 3D volumes at their own size when it is below 64', async () => {
    expect(await choose({ data: adrenal, model: 'resnet3d_18' })).toEqual({ size: 28, reason: "the volumes' own size (28x28x28); the default 64 would upsample them" });
    expect((await choose({ data: join(shared, 'data', 'adrenalmnist3d', 'adrenalmnist3d_64.npz'), model: 'resnet3d_18' })).size).toBe(64);
    expect(await choose({ data: adrenal, model: 'resnet3d_18', imageSize: 40 })).toEqual({ size: 40, reason: 'given' });
    // 2D networks keep 64 for 28 px images: ImageNet CNNs shrink their input 32-fold.
    expect(await choose({ data: 'breastmnist', model: 'squeezenet1_1' })).toEqual({ size: 64, reason: 'default' });
  });

  it('the dry run says which size it uses, and why', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'ttl-dry3d-')), 'adrenal');
    const run = await spawnNode([cli, 'run', '--data', 'adrenalmnist3d', '--model', 'resnet3d_18', '--weights', 'none', '--strategies', 'ftl', '--out', out, '--dry-run'], { env });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain("image size 28 (the volumes' own size (28x28x28); the default 64 would upsample them; set imageSize to choose)");
    expect(run.stdout).toMatch(/resnet3d_18 on adrenalmnist3d \(1188 training images\), 3 epochs at 28 px/);
  });

  it('a saved run keeps the size it chose: a config.json saying auto is refused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ttl-auto-saved-'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ model: 'squeezenet1_1', data: 'breastmnist', imageSize: 'auto' }));
    expect(() => readRunConfig(dir)).toThrow(/config\.json: Expected the number of pixels the run trained at for imageSize but received 'auto'/);
  });
});

describe('diverging trials', () => {
  it('are journaled as failed with the reason and the search goes on (the root API: run, resume, report)', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'ttl-nan-')), 'nan');
    process.env.TTL_TORCH_MIRROR = shared;
    const logged: string[] = [];
    const results = await run({ data: join(shared, 'data', 'breastmnist', 'breastmnist.npz'), model: 'squeezenet1_1',
      weights: null, strategies: ['ftl', 'ttl'], search: [2], lr: 8, clipGradNorm: 0, batchSize: 8, epochs: 1, imageSize: 32, augment: false, analyses: [], out });
    const records = lines(join(out, 'journal.jsonl')).filter((r) => r.type === 'trial');
    expect(records).toHaveLength(2);
    const failed = records.filter((r) => r.status === 'failed');
    expect(failed.length).toBeGreaterThan(0);
    for (const f of failed) expect(f.reason).toMatch(/training diverged/);
    expect(results.failed.map((f) => f.id)).toEqual(failed.map((f) => f.id));
    expect(readRunConfig(out).lr).toBe(8);
    // resume() trains nothing that is journaled; report() rebuilds the same results from the journal alone.
    const resumed = await resume(out, { log: (line) => logged.push(line) });
    expect(logged.filter((l) => l.startsWith('skip '))).toEqual(records.map((r) => `skip ${r.id} (journaled)`));
    expect(lines(join(out, 'journal.jsonl')).filter((r) => r.type === 'trial')).toHaveLength(2);
    expect(resumed.rows).toEqual(results.rows);
    expect(report(out).rows).toEqual(results.rows);
  });
});
