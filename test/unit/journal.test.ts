// journal.jsonl after crashes and hand edits: appends repair a torn tail first (the fragment kept in
// journal.jsonl.torn), and the reader names every malformed line instead of dropping it.
import { appendFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appendJournal, readJournal, repairJournal, type TrialRecord } from '../../src/run/journal.js';

const trial = (id: string, cutoff: number): TrialRecord => ({
  type: 'trial', id, strategy: 'ttl', cutoff, seed: 0, stage: 1, status: 'ok',
  val: { auroc: 0.9, auprc: 0.8 }, test: { auroc: 0.85, auprc: 0.75 }, finishedAt: '2026-12-01T00:00:00Z',
});
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const journalWith = (text: string) => {
  const path = join(mkdtempSync(join(tmpdir(), 'ttl-journal-')), 'journal.jsonl');
  writeFileSync(path, text);
  return path;
};

describe('appending after a torn write', () => {
  it('moves the fragment to journal.jsonl.torn and starts the new record on its own line', () => {
    const path = journalWith(JSON.stringify(trial('ttl-k3-s0', 3)) + '\n{"type":"trial","id":"ttl-k5-s0","strat');
    appendJournal(path, trial('ttl-k5-s0', 5));
    expect(readJournal(path).map((r) => (r as TrialRecord).id)).toEqual(['ttl-k3-s0', 'ttl-k5-s0']);
    expect(readFileSync(`${path}.torn`, 'utf8')).toBe('{"type":"trial","id":"ttl-k5-s0","strat\n');
    expect(readFileSync(path, 'utf8').endsWith('}\n')).toBe(true);
  });

  it('keeps a complete record that only lost its newline', () => {
    const path = journalWith(JSON.stringify(trial('ttl-k3-s0', 3)));
    expect(repairJournal(path)).toContain('ttl-k3-s0');
    appendJournal(path, trial('ttl-k5-s0', 5));
    expect(readJournal(path)).toHaveLength(2);
    expect(existsSync(`${path}.torn`)).toBe(false);
  });

  it('repairs a file that is all fragment', () => {
    const path = journalWith('{"type":"tri');
    appendJournal(path, trial('ttl-k3-s0', 3));
    expect(readFileSync(path, 'utf8')).toBe(JSON.stringify(trial('ttl-k3-s0', 3)) + '\n');
  });

  it('leaves an intact journal alone', () => {
    const path = journalWith(JSON.stringify(trial('ttl-k3-s0', 3)) + '\n');
    expect(repairJournal(path)).toBeNull();
    expect(existsSync(`${path}.torn`)).toBe(false);
  });
});

describe('reading', () => {
  const good = JSON.stringify(trial('ttl-k3-s0', 3));
  it.each([
    ['null', 'line 2: expected a record object, found null'],
    ['42', 'line 2: expected a record object, found number'],
    ['[]', 'line 2: expected a record object, found an array'],
    ['{"type":"trial","id":"x"', 'line 2: not valid JSON'],
    [JSON.stringify({ ...trial('ttl-k5-s0', 5), val: undefined }), 'line 2: trial ttl-k5-s0 has no val metrics'],
    [JSON.stringify({ ...trial('ttl-k5-s0', 5), test: { accuracy: 1 } }), 'line 2: trial ttl-k5-s0: test has neither auroc and auprc nor dice and jaccard'],
    [JSON.stringify({ ...trial('ttl-k5-s0', 5), strategy: 'xyz' }), "line 2: trial ttl-k5-s0: strategy \"xyz\" is not one of ftl, ffe, lwft, tf, ttl"],
    [JSON.stringify({ type: 'checkpoint' }), 'line 2: unknown record type "checkpoint"'],
  ])('a line %s is an E_BAD_RUN error naming the file and line', (line, message) => {
    const path = journalWith(`${good}\n${line}\n${good.replace(/k3/g, 'k4')}\n`);
    expect(() => readJournal(path)).toThrow(expect.objectContaining({ code: 'E_BAD_RUN', message: expect.stringMatching(new RegExp(`^${escape(`${path} ${message}`)}`)) }));
  });

  it('a duplicated trial keeps the first record and says so', () => {
    const warnings: string[] = [];
    const path = journalWith(`${good}\n${JSON.stringify({ ...trial('ttl-k3-s0', 3), val: { auroc: 0.1, auprc: 0.1 } })}\n`);
    const records = readJournal(path, (w) => warnings.push(w)) as TrialRecord[];
    expect(records.map((r) => r.val!.auroc)).toEqual([0.9]);
    expect(warnings).toEqual([`${path} line 2: trial ttl-k3-s0 is already recorded at line 1; the first record is kept`]);
  });

  it('an unterminated last line is skipped with a warning (the trial in flight when the run was killed)', () => {
    const warnings: string[] = [];
    const path = journalWith(`${good}\n{"type":"trial","id":"ttl`);
    expect(readJournal(path, (w) => warnings.push(w))).toHaveLength(1);
    expect(warnings[0]).toBe(`${path} line 2 is incomplete (a write cut short); it is ignored and moved to ${path}.torn by the next append`);
    appendFileSync(path, '\n');
    expect(() => readJournal(path)).toThrow(`${path} line 2: not valid JSON`);
  });
});
