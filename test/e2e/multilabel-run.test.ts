// `ttl-torch run --task multilabel` end to end as a child process on a CSV manifest of real multi-label images (BCCD
// cell mosaics labelled with the cell types they show): the trials are chosen on the macro AUROC, the journal and
// results carry each label's AUROC (with its DeLong interval) and AUPRC, and report.html has the per-label table.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CELL_TYPES, writeBccdMosaics } from '../support/bccd-mosaics.js';
import { root, shared, testCacheDir } from '../support/helpers.js';

const cli = join(root, 'dist', 'cli', 'main.js');
const env = { ...process.env, TTL_TORCH_MIRROR: shared, TTL_TORCH_OFFLINE: '1', TTL_TORCH_CACHE: testCacheDir, TTL_TORCH_THREADS: '1' };
const lines = (path: string) => readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));

describe('ttl-torch run --task multilabel', () => {
  it('trains FTL and two TTL cutoffs on a multi-label manifest; the journal, results and report carry per-label metrics', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ttl-multilabel-run-'));
    const { csv } = await writeBccdMosaics(dir, { counts: { train: 48, val: 24, test: 24 }, seed: 5 });
    const out = join(dir, 'run');
    const run = spawnSync(process.execPath, [
      cli, 'run', '--task', 'multilabel', '--data', csv, '--model', 'squeezenet1_1', '--weights', 'imagenet', '--epochs', '1',
      '--image-size', '32', '--batch-size', '16', '--strategies', 'ftl,ttl', '--search', 'k=3,5', '--out', out,
    ], { env, encoding: 'utf8' });
    expect(run.status, run.stderr + run.stdout).toBe(0);
    const trials = lines(join(out, 'journal.jsonl')).filter((r) => r.type === 'trial');
    expect(trials.map((t) => t.id).sort()).toEqual(['ftl-k9-s0', 'ttl-k3-s0', 'ttl-k5-s0']);
    for (const t of trials) {
      expect(t.status).toBe('ok');
      for (const label of CELL_TYPES) {
        expect(t.test[`auroc[${label}]`]).toBeGreaterThanOrEqual(0);
        expect(t.test[`aurocLow[${label}]`]).toBeLessThanOrEqual(t.test[`auroc[${label}]`]);
        expect(t.test[`aurocHigh[${label}]`]).toBeGreaterThanOrEqual(t.test[`auroc[${label}]`]);
        expect(t.test[`auprc[${label}]`]).toBeGreaterThan(0);
      }
      // The selecting metric is the macro average of the labels' AUROCs.
      expect(t.val.auroc).toBeCloseTo(CELL_TYPES.reduce((s, l) => s + t.val[`auroc[${l}]`], 0) / CELL_TYPES.length, 12);
      expect(t.test.microAuroc).toBeGreaterThan(0);
    }
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(results.metrics.map((m: { label: string }) => m.label)).toEqual(['macro AUROC', 'macro AUPRC']);
    const ftl = results.rows.find((r: { method: string }) => r.method === 'FTL');
    expect(ftl.test['auroc[WBC]'].mean).toBe(trials.find((t) => t.id === 'ftl-k9-s0').test['auroc[WBC]']);
    // Each trial kept its predictions: the TTL rows are tested against FTL on the macro AUROC (paired bootstrap
    // over the same test images) and every row has its interval.
    for (const row of results.rows) expect(row.testCi.low).toBeLessThanOrEqual(row.test.auroc.mean);
    const ttlRows = results.rows.filter((r: { strategy: string }) => r.strategy === 'ttl');
    expect(results.significance.map((s: { method: string }) => s.method).sort()).toEqual(ttlRows.map((r: { method: string }) => r.method).sort());
    for (const s of results.significance) {
      expect(s.test).toBe('bootstrap');
      expect(s.p).toBeGreaterThan(0);
      expect(s.p).toBeLessThanOrEqual(1);
      const row = ttlRows.find((r: { method: string }) => r.method === s.method);
      expect(s.difference).toBeCloseTo(row.test.auroc.mean - ftl.test.auroc.mean, 6);
    }
    expect(results.summary).toMatch(/FTL/);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('<table id="significance">');
    const table = html.slice(html.indexOf('<table id="per-label">'), html.indexOf('</table>', html.indexOf('<table id="per-label">')));
    expect(table).toContain('<th>FTL</th>');
    for (const label of CELL_TYPES) expect(table).toContain(`<tr><td>${label}</td>`);
    expect(table).toContain(`<td>${ftl.test['auroc[WBC]'].mean.toFixed(3)} (`);
  });

  it("refuses a multi-label manifest in a classification run, naming the task to use", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ttl-multilabel-refuse-'));
    const { csv } = await writeBccdMosaics(dir, { counts: { train: 6, val: 3, test: 3 } });
    const run = spawnSync(process.execPath, [cli, 'run', '--data', csv, '--model', 'squeezenet1_1', '--epochs', '1', '--image-size', '32', '--analyses', 'none', '--out', join(dir, 'run')], { env, encoding: 'utf8' });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain("is multi-label (3 labels): run it with task 'multilabel' (--task multilabel)");
  });
});
