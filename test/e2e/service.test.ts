// examples/service.mjs as a child process on 127.0.0.1, driven over real HTTP: train, stream progress,
// read the model card, predict while another job trains, cancel that job.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMedMNIST } from '../../src/data/index.js';
import { root, shared } from '../support/helpers.js';

const work = mkdtempSync(join(tmpdir(), 'ttl-service-'));
let child: ChildProcess;
let base = '';

beforeAll(async () => {
  child = spawn(process.execPath, [join(root, 'examples', 'service.mjs'), '--port', '0', '--host', '127.0.0.1', '--data-dir', join(shared, 'data'), '--work-dir', work], {
    env: { ...process.env, TTL_TORCH_THREADS: '1' }, stdio: ['ignore', 'pipe', 'inherit'],
  });
  base = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /listening (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`the service exited (${code}) before listening`)));
    setTimeout(() => reject(new Error('the service did not listen within 30 s')), 30_000);
  });
});

afterAll(async () => {
  if (child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
  rmSync(work, { recursive: true, force: true });
});

/** Reads a job's server-sent events until `until` returns true or the stream ends. */
async function events(id: string, until: (e: { type: string; [k: string]: unknown }) => boolean = () => false) {
  const res = await fetch(`${base}/jobs/${id}/events`);
  expect(res.headers.get('content-type')).toBe('text/event-stream');
  const seen: { type: string; [k: string]: unknown }[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  const reader = res.body!.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const data = block.split('\n').find((l) => l.startsWith('data: '));
      if (!data) continue;
      const event = JSON.parse(data.slice(6));
      seen.push(event);
      if (until(event)) {
        await reader.cancel();
        return seen;
      }
    }
  }
  return seen;
}

const post = (path: string, body: unknown) => fetch(`${base}${path}`, { method: 'POST', body: JSON.stringify(body) });

describe('example service', () => {
  it('trains, streams progress, serves the card and predictions while another job trains, and cancels', async () => {
    const spec = { data: 'breastmnist/breastmnist.npz', model: 'squeezenet1_1', k: 4, imageSize: 32, batchSize: 32 };
    const first = await post('/jobs', { ...spec, epochs: 1 });
    expect(first.status).toBe(201);
    const { id } = (await first.json()) as { id: string };
    const done = await events(id);
    expect(done.some((e) => e.type === 'batch')).toBe(true);
    expect(done.at(-1)).toMatchObject({ type: 'done', bestEpoch: 1 });

    const card = (await (await fetch(`${base}/jobs/${id}/card`)).json()) as { model: string; classes: string[]; input: { size: number } };
    expect(card).toMatchObject({ model: 'squeezenet1_1', k: 4, classes: ['0', '1'], input: { size: 32 } });

    // A long second job; predictions from the first are served while it trains. Its stream is read throughout,
    // so that each prediction's wait is counted in the training batches that finished meanwhile: a count that
    // does not depend on how fast this CPU is or how busy its neighbours are (an epoch here is 17 batches).
    const second = (await (await post('/jobs', { ...spec, epochs: 50, imageSize: 64 })).json()) as { id: string };
    let trained = 0;
    let firstBatch!: () => void;
    const training = new Promise<void>((r) => (firstBatch = r));
    const secondEvents = events(second.id, (e) => {
      if (e.type === 'batch') {
        trained++;
        firstBatch();
      }
      return false;
    });
    await training;
    const data = readMedMNIST(join(shared, 'data', 'breastmnist', 'breastmnist.npz'));
    const png = await sharp(Buffer.from(data.test.images.slice(0, 28 * 28)), { raw: { width: 28, height: 28, channels: 1 } }).png().toBuffer();
    const waits: { batches: number; ms: number }[] = [];
    for (let i = 0; i < 5; i++) {
      const [before, t] = [trained, performance.now()];
      const res = await fetch(`${base}/jobs/${id}/predict`, { method: 'POST', body: png });
      waits.push({ batches: trained - before, ms: performance.now() - t });
      expect(res.status).toBe(200);
      const p = (await res.json()) as { className: string; probabilities: number[] };
      expect(p.probabilities).toHaveLength(2);
      expect(card.classes).toContain(p.className);
    }
    console.log(`predict over HTTP during training: ${waits.map((w) => `${w.ms.toFixed(0)} ms (${w.batches} batches)`).join(', ')}`);
    // The batch in flight, one whose event was already on its way, and one event still in the socket.
    expect(Math.max(...waits.map((w) => w.batches))).toBeLessThanOrEqual(3);
    expect((await fetch(`${base}/jobs/${id}/predict`, { method: 'POST', body: Buffer.from('no image') })).status).toBe(400);

    const cancelAt = performance.now();
    expect((await fetch(`${base}/jobs/${second.id}`, { method: 'DELETE' })).status).toBe(202);
    const tail = await secondEvents;
    console.log(`cancel over HTTP: the job ended ${(performance.now() - cancelAt).toFixed(0)} ms after DELETE`);
    expect(tail.at(-1)).toMatchObject({ type: 'error', code: 'E_CANCELLED' });
    expect(tail.some((e) => e.type === 'epoch' && (e.epoch as number) >= 50)).toBe(false);
    expect((await fetch(`${base}/jobs/${second.id}/card`)).status).toBe(409);
  });
});
