// The README and docs/: every relative link resolves (file and heading anchor), the benchmark tables equal what
// bench/results/*.json say (npm run docs writes them), and the README stays a short page for users.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fillGenerated } from '../../bench/tables.mjs';
import { root } from '../support/paths.js';

const pages = (dir: string): string[] => readdirSync(dir).flatMap((f) => {
  const p = join(dir, f);
  return statSync(p).isDirectory() ? pages(p) : p.endsWith('.md') ? [p] : [];
});
const docs = [join(root, 'README.md'), ...pages(join(root, 'docs'))];

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
const slug = (heading: string) => heading.trim().toLowerCase().replace(/[^a-z0-9 _-]/g, '').replace(/ /g, '-');
const anchorsOf = (file: string) => new Set(readFileSync(file, 'utf8').split('\n').filter((l) => /^#{1,6} /.test(l)).map((l) => slug(l.replace(/^#+ /, ''))));

function brokenLinks(page: string): string[] {
  const text = readFileSync(page, 'utf8').replace(/```[\s\S]*?```/g, '');
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]).filter((href) => !/^(https?|mailto):/.test(href)).filter((href) => {
    const [path, anchor] = href.split('#');
    const target = path ? join(dirname(page), path) : page;
    if (!existsSync(target)) return true;
    return anchor !== undefined && target.endsWith('.md') && !anchorsOf(target).has(anchor);
  }).map((href) => `${relative(root, page)}: ${href}`);
}

describe('docs', () => {
  it('every relative link in the README and docs/ resolves, anchors included', () => {
    expect(docs.length).toBeGreaterThan(10);
    expect(docs.flatMap(brokenLinks)).toEqual([]);
  });

  it('the link check finds a broken link', () => {
    expect(brokenLinks(join(root, 'test', 'support', 'broken-links.md'))).toEqual(['test/support/broken-links.md: missing.md', 'test/support/broken-links.md: #nowhere']);
  });

  it('the benchmark tables are what bench/results/*.json say (npm run docs regenerates them)', () => {
    const read = (file: string) => JSON.parse(readFileSync(join(root, file), 'utf8'));
    for (const page of docs) expect(fillGenerated(readFileSync(page, 'utf8'), read), relative(root, page)).toBe(readFileSync(page, 'utf8'));
    expect(readFileSync(join(root, 'docs', 'benchmarks.md'), 'utf8').match(/<!-- generated: /g)?.length).toBeGreaterThanOrEqual(5);
  });

  it('an empty generated block is filled in place, the text after it kept', () => {
    const results = { threads: 2, steps: 1, measuredAt: '2026-12-07T00:00:00Z', rows: [{ model: 'm', size: 8, python: 'p', msPerStep: 10, ceilingWithoutOtherWork: 2, kinds: { 'convolution forward': 5 } }] };
    const page = '<!-- generated: step-profile a.json -->\n<!-- /generated -->\n\nkept\n\n<!-- generated: step-profile a.json -->\nold\n<!-- /generated -->\n';
    const filled = fillGenerated(page, () => results);
    expect(filled.match(/\| convolution forward \| 5\.0 \(50%\) \|/g)).toHaveLength(2);
    expect(filled).toContain('<!-- /generated -->\n\nkept\n\n<!-- generated: ');
    expect(filled).not.toContain('old');
  });

  it('the README is a short page for users', () => {
    expect(readFileSync(join(root, 'README.md'), 'utf8').split('\n').length).toBeLessThan(300);
  });
});
