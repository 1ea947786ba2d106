// report.html in a real browser (Debian's headless Chromium via playwright-core): it renders, logs no
// console errors, and the numbers it shows equal results.json.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { root, shared } from './helpers.js';

const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';

describe('report.html in headless Chromium', () => {
  it('renders the results table and four charts with no console errors', async () => {
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
      results.rows.forEach((r: { test: Record<string, { mean: number; std: number }>; paramsM: number; cutoff: number }, i: number) => {
        expect(cells[i][1]).toBe(`${r.test.auroc.mean.toFixed(4)} ± ${r.test.auroc.std.toFixed(4)}`);
        expect(cells[i][2]).toBe(`${r.test.auprc.mean.toFixed(4)} ± ${r.test.auprc.std.toFixed(4)}`);
        expect(cells[i][3]).toBe(r.paramsM.toFixed(3));
        expect(cells[i][6]).toBe(String(r.cutoff));
      });
      const charts = await page.$$eval('svg', (svgs) => svgs.map((s) => s.getBoundingClientRect().width));
      expect(charts).toHaveLength(4);
      expect(charts.every((w) => w > 100)).toBe(true);
      await page.screenshot({ path: join(out, 'report.png'), fullPage: true });
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
