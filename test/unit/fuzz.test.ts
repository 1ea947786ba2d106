// The fuzz suite inside npm test: every minimised case of test/fuzz-corpus/ (inputs that once crashed,
// hung or blew up memory) must now end as expected, and a fixed-seed slice of `npm run fuzz` must find
// no crash, hang or memory blow-up. Each case runs in its own child process (fuzz/campaign.mjs).
import { cpSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: plain ESM without types
import { campaign, runTarget } from '../../fuzz/campaign.mjs';
import { root } from '../support/paths.js';

const corpus = join(root, 'test', 'fuzz-corpus');
const SLICE_SEED = 20261201;
const SLICE_CASES = 6;

interface Outcome { outcome: string; code?: string; message?: string; why?: string; ms: number; maxRssMb: number }

describe('fuzz corpus (regressions)', () => {
  const cases = readdirSync(corpus).sort();
  // Concurrent: each case is a child process, so the file's wall time is not the sum of them.
  it.concurrent.for(cases)('%s', async (name, { expect }) => {
    const spec = JSON.parse(readFileSync(join(corpus, name, 'case.json'), 'utf8'));
    // A copy: readers of run directories repair them in place.
    const dir = mkdtempSync(join(tmpdir(), 'ttl-corpus-'));
    cpSync(join(corpus, name), dir, { recursive: true });
    const result: Outcome = await runTarget(spec.format, dir, spec.entry);
    expect({ outcome: result.outcome, code: result.code }, result.why ?? result.message).toEqual({ outcome: spec.expect.outcome, code: spec.expect.code });
    if (spec.expect.message) expect(result.message).toContain(spec.expect.message);
  });
});

describe('fuzz slice', () => {
  it(`${SLICE_CASES} seeded cases per format: only successes and clean coded errors`, async () => {
    const results: (Outcome & { format: string; index: number })[] = await campaign({ seed: SLICE_SEED, count: SLICE_CASES, concurrency: 2 });
    const failures = results.filter((r) => r.outcome !== 'success' && r.outcome !== 'clean');
    expect(failures.map((f) => `${f.format} #${f.index}: ${f.outcome} ${f.why ?? ''} ${f.message ?? ''}`)).toEqual([]);
    // The slice exercises the readers: most cases are refused, with a code.
    expect(results.filter((r) => r.outcome === 'clean').length).toBeGreaterThan(results.length / 2);
  });
});
