// Worker threads for readDicomAsync: as many as the cores this process may use, each decoding one file at a time.
// A file gets a time budget by its size (DECODE_BUDGET); a worker past it is terminated (the only way to stop a
// WebAssembly decoder that loops) and replaced, and the file is refused with a coded error.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { TtlError } from '../../errors.js';
import type { DecodeRequest } from './decode-worker.js';
import type { DicomImage, ReadDicomOptions } from './image.js';

/** The time a file may take: 5 s, plus 2 s per million samples (a 3000 x 3000 JPEG 2000 frame decodes in ~1 s here). */
export const DECODE_BUDGET = { baseMs: 5000, perMegasampleMs: 2000 };

// The compiled worker: beside this file in dist/, or (tests run the TypeScript sources) in dist/ of the package.
const here = dirname(fileURLToPath(import.meta.url));
const script = [join(here, 'decode-worker.js'), join(here, '..', '..', '..', 'dist', 'data', 'dicom', 'decode-worker.js')].find(existsSync);

interface Job {
  request: DecodeRequest;
  budgetMs: number;
  resolve: (image: DicomImage) => void;
  reject: (error: Error) => void;
}

interface Slot {
  worker: Worker;
  job?: Job;
  timer?: NodeJS.Timeout;
}

const slots: Slot[] = [];
const queue: Job[] = [];
let nextId = 0;

/** Gives `slot` a fresh worker (the first, or one after its predecessor was stopped). */
function spawn(slot: Partial<Slot>): Slot {
  if (!script) throw new TtlError('E_INTERNAL', 'the DICOM decode worker (dist/data/dicom/decode-worker.js) is missing: build the TypeScript (npm run build:ts)');
  // No node flags: a worker refuses process-wide ones (--max-old-space-size, --input-type) and needs none.
  const worker = new Worker(script, { execArgv: [] });
  slot.worker = worker;
  worker.on('message', (reply: { image?: DicomImage; error?: { code?: string; message: string } }) => {
    const job = done(slot as Slot);
    if (reply.image) job.resolve(reply.image);
    else if (reply.error!.code) job.reject(new TtlError(reply.error!.code as never, reply.error!.message));
    // Anything else a decoder throws is still this file's fault, and named so.
    else job.reject(new TtlError('E_BAD_IMAGE', `${job.request.name}: the decoder failed (${reply.error!.message})`));
  });
  worker.on('error', (e) => {
    const job = stop(slot as Slot);
    job.reject(new TtlError('E_BAD_IMAGE', `${job.request.name}: the decoder failed (${e.message})`));
  });
  return slot as Slot;
}

/** The slot's job is over: the worker takes the next one. */
function done(slot: Slot): Job {
  const job = slot.job!;
  clearTimeout(slot.timer);
  slot.job = slot.timer = undefined;
  pump();
  return job;
}

/** Stops the slot's worker mid-job (a decoder that loops cannot be interrupted otherwise) and starts another. */
function stop(slot: Slot): Job {
  void slot.worker.terminate();
  spawn(slot);
  return done(slot);
}

function pump(): void {
  while (queue.length) {
    let slot = slots.find((s) => !s.job);
    if (!slot && slots.length < Math.max(1, availableParallelism())) slots.push((slot = spawn({})));
    if (!slot) break;
    const job = (slot.job = queue.shift()!);
    const busy = slot;
    busy.worker.ref();
    busy.timer = setTimeout(() => {
      stop(busy);
      job.reject(new TtlError('E_BAD_IMAGE', `${job.request.name}: decoding took longer than ${(job.budgetMs / 1000).toFixed(0)} s, the budget for its size (a malformed frame can make a decoder loop); refused`));
    }, job.budgetMs);
    busy.worker.postMessage(job.request, [job.request.bytes.buffer as ArrayBuffer]);
  }
  // Idle workers do not keep the process alive.
  for (const s of slots) if (!s.job) s.worker.unref();
}

/** Decodes `bytes` (the file named `name`) on a worker thread within a budget for `samples` decoded samples. */
export function decodeOnWorker(bytes: Uint8Array, name: string, options: ReadDicomOptions, samples: number): Promise<DicomImage> {
  const budgetMs = DECODE_BUDGET.baseMs + (DECODE_BUDGET.perMegasampleMs * samples) / 1e6;
  return new Promise((resolve, reject) => {
    queue.push({ request: { id: nextId++, bytes, name, options }, budgetMs, resolve, reject });
    pump();
  });
}
