// report.html in a real browser (Debian's headless Chromium via playwright-core): it renders, logs no
// console errors, and the numbers it shows equal results.json.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { root, shared } from '../support/helpers.js';

const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';

describe('report.html in headless Chromium', () => {
  it('the default run tells the story: summary, table with intervals, significance vs FTL, ROC/PR, confusion matrices, SVCCA and Grad-CAM, no console errors', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'ttl-html-')), 'run');
    const env = { ...process.env, TTL_TORCH_MIRROR: shared, TTL_TORCH_OFFLINE: '1', TTL_TORCH_THREADS: '1' };
    const run = spawnSync(process.execPath, [join(root, 'dist', 'cli', 'main.js'), 'run', '--data', 'breastmnist', '--epochs', '1',
      '--image-size', '32', '--strategies', 'ftl,ttl', '--out', out], { env, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));

    const browser = await chromium.launch({
      executablePath,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('request', (r) => !r.url().startsWith('file:') && errors.push(`network request to ${r.url()}`));
      await page.goto(`file://${join(out, 'report.html')}`);
      const cells = await page.$$eval('#results tbody tr', (rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent)));
      expect(cells.map((c) => c[0])).toEqual(results.rows.map((r: { method: string }) => r.method));
      type Row = { method: string; test: Record<string, { mean: number; std: number }>; testCi: { low: number; high: number }; paramsM: number; cutoff: number };
      results.rows.forEach((r: Row, i: number) => {
        expect(cells[i][1]).toBe(r.test.auroc.mean.toFixed(4));
        expect(cells[i][2]).toBe(r.test.auprc.mean.toFixed(4));
        expect(cells[i][3]).toBe(`${r.testCi.low.toFixed(3)}-${r.testCi.high.toFixed(3)}`);
        expect(cells[i][4]).toBe('1');
        expect(cells[i][5]).toBe(r.paramsM.toFixed(3));
        expect(cells[i][8]).toBe(String(r.cutoff));
      });
      // TTL-1 is a real truncation, and the summary says how it compares with FTL.
      const ttl = results.rows.find((r: Row) => r.method === 'TTL-1');
      expect(ttl.cutoff).toBeLessThan(9);
      const summary = await page.$eval('.summary', (p) => p.textContent ?? '');
      expect(summary).toContain(`TTL-1 keeps ${ttl.cutoff} units`);
      expect(summary).toMatch(/statistically significant \(DeLong's test, p [=<] [\d.]+, seed 0\)/);
      expect(summary).toBe(results.summary);
      const tests = await page.$$eval('#significance tbody tr', (rows) => rows.map((r) => r.querySelector('td')?.textContent));
      expect(tests).toEqual(results.significance.map((t: { method: string }) => t.method));
      // One per distinct network among FTL and the TTL rows (TTL-1SE is often TTL-1's own trial).
      const networks = new Set(results.rows.filter((r: Row) => r.method === 'FTL' || r.method.startsWith('TTL')).map((r: Row) => `${r.method.slice(0, 3)}${r.cutoff}`));
      expect(await page.$$eval('table.confusion', (t) => t.length)).toBe(networks.size);
      const charts = await page.$$eval('svg', (svgs) => svgs.map((s) => s.getAttribute('aria-label')));
      expect(charts).toEqual(expect.arrayContaining(['ROC curve (test)', 'Precision-recall (test)', 'Grad-CAM FTL vs TTL', `SVCCA with the finetuned network (ftl-k9-s0)`]));
      const widths = await page.$$eval('svg', (svgs) => svgs.map((s) => s.getBoundingClientRect().width));
      expect(widths.every((w) => w > 100)).toBe(true);
      // Legends name the curves without covering them: every legend line lies below the lowest point of every curve.
      const overlaps = await page.$$eval('svg[aria-label="ROC curve (test)"], svg[aria-label="Precision-recall (test)"]', (svgs) => svgs.map((svg) => {
        const curves = [...svg.querySelectorAll('polyline')].map((l) => l.getBoundingClientRect().bottom);
        const legends = [...svg.querySelectorAll('text[fill]')].map((t) => t.getBoundingClientRect().top);
        return legends.length > 0 && legends.every((top) => curves.every((bottom) => top >= bottom));
      }));
      expect(overlaps).toEqual([true, true]);
      await page.screenshot({ path: join(out, 'report.png'), fullPage: true });
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
