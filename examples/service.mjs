// A small Node service around ttl-torch (node:http only): train on request, stream progress, cancel, serve
// predictions from finished jobs while others train.
//
//   node examples/service.mjs --data-dir ../shared/data --work-dir /tmp/ttl-service [--port 8080] [--host 127.0.0.1]
//
//   POST   /jobs                {"data":"breastmnist/breastmnist.npz","model":"squeezenet1_1","k":4,"epochs":3,"imageSize":32}
//                               -> 201 {"id"}
//   GET    /jobs/ID/events      server-sent events: batch, epoch, done (test metrics), error (code, message)
//   DELETE /jobs/ID             cancel a running job (it stops at the next batch) -> 202
//   GET    /jobs/ID/card        what the job's checkpoint says about itself (classes, input pipeline, ...)
//   POST   /jobs/ID/predict     body: PNG/JPEG/DICOM bytes -> {"label","className","probabilities"}
//
// Jobs train one at a time on the library's compute thread; a predict waits for at most one training batch.
import { createServer } from 'node:http';
import { mkdirSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const { finetune, loadPredictor, TtlError } = await import(join(here, '..', 'dist', 'index.js'));

const { values: args } = parseArgs({
  options: { port: { type: 'string', default: '8080' }, host: { type: 'string', default: '127.0.0.1' }, 'data-dir': { type: 'string' }, 'work-dir': { type: 'string' } },
});
if (!args['data-dir'] || !args['work-dir']) {
  process.stderr.write('usage: node examples/service.mjs --data-dir DIR --work-dir DIR [--port N] [--host H]\n');
  process.exit(2);
}
const dataDir = resolve(args['data-dir']);
const workDir = resolve(args['work-dir']);
mkdirSync(workDir, { recursive: true });

/** id -> { status, controller, events: [], listeners: Set<res>, checkpoint, predictor?, result? } */
const jobs = new Map();
let nextId = 1;

const send = (res, status, body) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};
const fail = (res, status, code, message) => send(res, status, { error: { code, message } });

async function body(req, limit = 32 * 1024 * 1024) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > limit) throw Object.assign(new Error(`request body over ${limit} bytes`), { status: 413 });
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function publish(job, event) {
  job.events.push(event);
  const line = `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
  for (const res of job.listeners) res.write(line);
  if (event.type === 'done' || event.type === 'error') for (const res of job.listeners) res.end();
}

function startJob(spec) {
  // The data path stays inside the data directory: a request cannot name arbitrary files.
  const data = resolve(dataDir, String(spec.data ?? ''));
  if (!data.startsWith(dataDir + sep)) throw Object.assign(new Error(`data must name a file under the data directory`), { status: 400 });
  const id = String(nextId++);
  const job = { id, status: 'running', controller: new AbortController(), events: [], listeners: new Set(), checkpoint: join(workDir, `job-${id}.safetensors`) };
  jobs.set(id, job);
  job.finished = finetune({
    model: spec.model ?? 'squeezenet1_1', strategy: { kind: 'ttl', cutoff: spec.k ?? 4 }, data, epochs: spec.epochs ?? 3, imageSize: spec.imageSize ?? 32,
    batchSize: spec.batchSize ?? 32, device: 'cpu', seed: spec.seed ?? 0, weights: spec.weights, checkpoint: job.checkpoint, signal: job.controller.signal,
    onProgress: (e) => publish(job, e.type === 'batch' ? e : { type: 'epoch', epoch: e.epoch, epochs: e.epochs, trainLoss: e.trainLoss, valLoss: e.valLoss, valAuroc: e.val.auroc }),
  }).then(
    (result) => {
      job.status = 'done';
      publish(job, { type: 'done', bestEpoch: result.bestEpoch, test: { auroc: result.test.auroc, auprc: result.test.auprc } });
    },
    (error) => {
      job.status = error?.code === 'E_CANCELLED' ? 'cancelled' : 'failed';
      publish(job, { type: 'error', code: error?.code ?? 'E_INTERNAL', message: error?.message ?? String(error) });
    },
  );
  return job;
}

async function predictorOf(job) {
  job.predictor ??= loadPredictor(job.checkpoint, { device: 'cpu' });
  return job.predictor;
}

const server = createServer(async (req, res) => {
  try {
    const url = new URL(req.url, 'http://localhost');
    const [, root, id, action] = url.pathname.split('/');
    if (root !== 'jobs') return fail(res, 404, 'E_NOT_FOUND', `no route ${url.pathname}`);
    if (!id) {
      if (req.method !== 'POST') return fail(res, 405, 'E_METHOD', 'POST /jobs');
      let spec;
      try {
        spec = JSON.parse((await body(req, 64 * 1024)).toString('utf8'));
      } catch {
        return fail(res, 400, 'E_BAD_ARGUMENT', 'the body must be a JSON object');
      }
      const job = startJob(spec);
      return send(res, 201, { id: job.id });
    }
    const job = jobs.get(id);
    if (!job) return fail(res, 404, 'E_NOT_FOUND', `no job ${id}`);
    if (!action && req.method === 'DELETE') {
      job.controller.abort();
      return send(res, 202, { id, status: job.status === 'running' ? 'cancelling' : job.status });
    }
    if (action === 'events' && req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
      for (const e of job.events) res.write(`event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
      if (job.status !== 'running') return res.end();
      job.listeners.add(res);
      req.on('close', () => job.listeners.delete(res));
      return;
    }
    if (action === 'card' && req.method === 'GET') {
      if (job.status !== 'done') return fail(res, 409, 'E_NOT_READY', `job ${id} is ${job.status}`);
      return send(res, 200, (await predictorOf(job)).info);
    }
    if (action === 'predict' && req.method === 'POST') {
      if (job.status !== 'done') return fail(res, 409, 'E_NOT_READY', `job ${id} is ${job.status}`);
      const image = await body(req);
      const p = await (await predictorOf(job)).predict(image);
      return send(res, 200, { label: p.label, className: p.className, probabilities: Array.from(p.probabilities) });
    }
    return fail(res, 404, 'E_NOT_FOUND', `no route ${req.method} ${url.pathname}`);
  } catch (error) {
    if (res.headersSent) return res.end();
    if (error?.status) return fail(res, error.status, 'E_BAD_REQUEST', error.message);
    const client = error instanceof TtlError && ['E_BAD_IMAGE', 'E_BAD_INPUT', 'E_BAD_ARGUMENT', 'E_UNKNOWN_MODEL', 'E_BAD_CUTOFF'].includes(error.code);
    return fail(res, client ? 400 : 500, error?.code ?? 'E_INTERNAL', error?.message ?? String(error));
  }
});

// Ends running jobs (at their next batch) and in-flight predictions before exiting.
async function shutdown() {
  server.close();
  for (const job of jobs.values()) job.controller.abort();
  const settled = Promise.all([...jobs.values()].map(async (job) => {
    await job.finished;
    for (const res of job.listeners) res.end();
    if (job.predictor) await (await job.predictor).close();
  }));
  await Promise.race([settled, new Promise((r) => setTimeout(r, 5000))]);
  process.exit(0);
}
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);

server.listen(Number(args.port), args.host, () => {
  const { address, port } = server.address();
  process.stdout.write(`listening http://${address}:${port}\n`);
});
