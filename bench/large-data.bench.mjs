// npm run bench -- large-data [--images 150000] [--dir DIR] [--limit-gb 4] [--subset 16000] [--model squeezenet1_1]
//                             [--image-size 64] [--cutoff 8] [--keep-cache]
// (--keep-cache: the first run maps a cache an earlier run built; its decode rate is then the build's, from the
// cache header, measured beside that run's sharp-alone figure, which this run measures again.)
// A dataset larger than the memory it trains in. The set is generated from the shared images (PneumoniaMNIST
// X-rays and BCCD cell crops, grayscale, resized to 256 px with a seeded crop, rotation, flip and brightness per
// image, JPEG) into DIR (default $TMPDIR/ttl-large-256; never the repository), once: ~150k files, and ~10 GB
// when decoded. Then, each in a fresh process inside a memory cgroup made here (cgroup v1 memory.limit_in_bytes,
// or v2 memory.max; needs root):
//   first run:  loads the folder through the decoded-image cache (decodes every file once: images/s), trains an
//               FTL and a TTL epoch over the whole mapped set, and the same runs on a subset held in memory
//               (interleaved; every epoch validates and tests on 1000 images in memory: training is what is timed);
//   second run: loads it again (mapped: no decoding; the time is the checksum pass) and trains a TTL epoch.
// Also: sharp alone decoding a sample of the same files with the same settings (the first pass's reference), and
// each child's peak RSS (VmHWM) and the cgroup's peak usage against the limit. Writes bench/results/large-data.json.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const here = dirname(fileURLToPath(import.meta.url));
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const IMAGES = Number(arg('images', 150_000));
const DIR = arg('dir', join(tmpdir(), 'ttl-large-256'));
const LIMIT = Number(arg('limit-gb', 4)) * 2 ** 30;
const SUBSET = Number(arg('subset', 16_000));
const MODEL = arg('model', 'squeezenet1_1');
const SIZE = Number(arg('image-size', 64));
const CUTOFF = Number(arg('cutoff', 8));
const SIDE = 256;
const images = join(DIR, 'images');
const cache = join(DIR, 'cache');
const shared = join(here, '..', '..', 'shared', 'data');
const train = (data, strategy) => ({ model: MODEL, strategy, data, imageSize: SIZE, epochs: 1, batchSize: 64, lr: 0.01, device: 'cpu', augment: false, seed: 0 });

if (process.argv[2] === '--child') await child(process.argv[3]);
else await main();

async function mapLimit(items, limit, fn) {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  }));
}

/** The shared images as [label, gray pixels, side] sources. */
async function sources() {
  const { readMedMNIST } = await import(join(here, '..', 'dist', 'data', 'index.js'));
  const out = [];
  const pneumonia = readMedMNIST(join(shared, 'pneumoniamnist', 'pneumoniamnist.npz'));
  for (const split of ['train', 'val', 'test']) {
    const s = pneumonia[split];
    for (let i = 0; i < s.labels.length; i++) out.push({ label: s.labels[i] ? 'pneumonia' : 'normal', raw: { data: s.images.subarray(i * 784, (i + 1) * 784), side: 28, channels: 1 } });
  }
  const [header, ...rows] = readFileSync(join(shared, 'bccd-cells', 'crops64_labels.csv'), 'utf8').trim().split(/\r?\n/);
  const col = header.split(',');
  for (const row of rows) {
    const cells = row.split(',');
    out.push({ label: cells[col.indexOf('label_name')], file: join(shared, 'bccd-cells', cells[col.indexOf('file')]) });
  }
  return out;
}

/** Seeded per-image augmentation (mulberry32 of the index): crop, rotation, flip, brightness. */
function augmentation(i) {
  let t = (i + 0x6d2b79f5) >>> 0;
  const rand = () => {
    t = (t + 0x6d2b79f5) >>> 0;
    let r = Math.imul(t ^ (t >>> 15), t | 1);
    r ^= r + Math.imul(r ^ (r >>> 7), r | 61);
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
  return { crop: 0.8 + 0.2 * rand(), x: rand(), y: rand(), angle: -15 + 30 * rand(), flip: rand() < 0.5, gain: 0.85 + 0.3 * rand() };
}

async function generate() {
  const done = join(DIR, 'generated.json');
  if (existsSync(done) && JSON.parse(readFileSync(done, 'utf8')).images === IMAGES) return JSON.parse(readFileSync(done, 'utf8'));
  const all = await sources();
  const start = performance.now();
  await mapLimit(Array.from({ length: IMAGES }, (_, i) => i), availableParallelism() * 2, async (i) => {
    const source = all[i % all.length];
    const file = join(images, source.label, `${i}.jpg`);
    if (existsSync(file) && statSync(file).size > 0) return;
    mkdirSync(dirname(file), { recursive: true });
    const a = augmentation(i);
    const base = source.file ? sharp(source.file).greyscale() : sharp(source.raw.data, { raw: { width: source.raw.side, height: source.raw.side, channels: 1 } });
    const up = await base.resize(SIDE, SIDE, { kernel: 'cubic' }).rotate(a.angle, { background: '#000' }).raw().toBuffer({ resolveWithObject: true });
    const side = Math.round(SIDE * a.crop);
    const { width, height } = up.info;
    let pipeline = sharp(up.data, { raw: up.info })
      .extract({ left: Math.floor((width - side) * a.x), top: Math.floor((height - side) * a.y), width: side, height: side })
      .resize(SIDE, SIDE).linear(a.gain, 0);
    if (a.flip) pipeline = pipeline.flop();
    await pipeline.greyscale().jpeg({ quality: 90 }).toFile(file);
    if (i % 10_000 === 0) console.log(`generated ${i}/${IMAGES} (${(i / ((performance.now() - start) / 1000)).toFixed(0)} images/s)`);
  });
  let bytes = 0;
  for (const label of readdirSync(images)) for (const f of readdirSync(join(images, label))) bytes += statSync(join(images, label, f)).size;
  const record = { images: IMAGES, side: SIDE, classes: readdirSync(images).sort(), jpegBytes: bytes, decodedBytes: IMAGES * SIDE * SIDE, seconds: (performance.now() - start) / 1000 };
  writeFileSync(done, JSON.stringify(record));
  return record;
}

/** sharp alone decoding `count` of the files to the cache's settings (gray, 256 px, raw), all cores. */
async function sharpRate(count) {
  const files = [];
  for (const label of readdirSync(images).sort()) for (const f of readdirSync(join(images, label))) files.push(join(images, label, f));
  const sample = Array.from({ length: count }, (_, i) => files[Math.floor((i * files.length) / count)]);
  const start = performance.now();
  await mapLimit(sample, Math.max(4, availableParallelism()), (f) => sharp(f).resize(SIDE, SIDE, { fit: 'fill' }).toColourspace('b-w').raw().toBuffer());
  return count / ((performance.now() - start) / 1000);
}

function status() {
  const s = readFileSync('/proc/self/status', 'utf8');
  const kb = (key) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(s)[1]) * 1024;
  return { peakRss: kb('VmHWM'), rss: kb('VmRSS'), rssAnon: kb('RssAnon'), rssFile: kb('RssFile') };
}

async function child(which) {
  const { loadDataset, imageRows } = await import(join(here, '..', 'dist', 'data', 'index.js'));
  const { finetune } = await import(join(here, '..', 'dist', 'index.js'));
  const t0 = performance.now();
  let progress;
  const { dataset, report } = await loadDataset(images, { size: SIDE, color: 'gray', cache, onProgress: (p) => (progress = p) });
  const loadSeconds = (performance.now() - t0) / 1000;
  const out = { which, source: report.source, loadSeconds, decodeSeconds: report.decodeSeconds, decode: progress ?? null, split: { train: dataset.train.shape[0], val: dataset.val.shape[0], test: dataset.test.shape[0] } };
  console.error(`${which}: ${report.source} in ${loadSeconds.toFixed(1)} s`);
  const epoch = async (name, data, strategy) => {
    // Each finetune copies an in-memory training set into a native store that only a garbage collection frees
    // (V8 does not see its size): collect between epochs, or three copies of the subset outgrow the limit.
    global.gc();
    const r = await finetune(train(data, strategy));
    out[name] = { imagesPerSecond: r.imagesPerSecond, trainSeconds: r.trainSeconds, trainImages: data.train.shape[0], testAuroc: r.test.auroc, ...status() };
    console.error(`${which} ${name}: ${r.imagesPerSecond.toFixed(1)} images/s over ${data.train.shape[0]} images`);
  };
  // Images copied into memory in 16 runs spread over a split (a split lists the classes in turn): the training
  // subset, and the small validation and test sets every epoch here evaluates on (training is what is timed).
  const inMemory = (split, n) => {
    const runs = 16, each = Math.floor(Math.min(n, split.shape[0]) / runs), step = Math.floor(split.shape[0] / runs);
    const parts = Array.from({ length: runs }, (_, r) => [r * step, r * step + each]);
    const images = new Uint8Array(runs * each * SIDE * SIDE);
    parts.forEach(([a, b], r) => images.set(imageRows(split, a, b), r * each * SIDE * SIDE));
    return { images, shape: [runs * each, SIDE, SIDE], labels: Int32Array.from(parts.flatMap(([a, b]) => [...split.labels.subarray(a, b)])) };
  };
  const [val, test] = [inMemory(dataset.val, 1000), inMemory(dataset.test, 1000)];
  const withTrain = (train) => ({ ...dataset, val, test, train });
  if (which === 'first') {
    const memory = withTrain(inMemory(dataset.train, SUBSET));
    await epoch('memoryFtl', memory, { kind: 'ftl' });
    await epoch('mappedFtl', withTrain(dataset.train), { kind: 'ftl' });
    await epoch('memoryFtl2', memory, { kind: 'ftl' });
    await epoch('mappedTtl', withTrain(dataset.train), { kind: 'ttl', cutoff: CUTOFF });
    await epoch('memoryTtl', memory, { kind: 'ttl', cutoff: CUTOFF });
  } else {
    await epoch('mappedTtl', withTrain(dataset.train), { kind: 'ttl', cutoff: CUTOFF });
  }
  out.final = status();
  console.log(JSON.stringify(out));
}

/** A memory cgroup limited to LIMIT bytes (v1 or v2), or a reason it cannot be made. */
function makeCgroup() {
  const name = `ttl-large-bench-${process.pid}`;
  const v1 = '/sys/fs/cgroup/memory';
  if (existsSync(join(v1, 'memory.limit_in_bytes'))) {
    const dir = join(v1, name);
    mkdirSync(dir);
    writeFileSync(join(dir, 'memory.limit_in_bytes'), String(LIMIT));
    return { version: 1, dir, peak: () => Number(readFileSync(join(dir, 'memory.max_usage_in_bytes'), 'utf8')), failcnt: () => Number(readFileSync(join(dir, 'memory.failcnt'), 'utf8')), reset: () => writeFileSync(join(dir, 'memory.max_usage_in_bytes'), '0') };
  }
  if (existsSync('/sys/fs/cgroup/cgroup.controllers')) {
    const dir = join('/sys/fs/cgroup', name);
    mkdirSync(dir);
    writeFileSync(join(dir, 'memory.max'), String(LIMIT));
    const peak = join(dir, 'memory.peak');
    return { version: 2, dir, peak: () => (existsSync(peak) ? Number(readFileSync(peak, 'utf8')) : NaN), failcnt: () => Number(/max (\d+)/.exec(readFileSync(join(dir, 'memory.events'), 'utf8'))[1]), reset: () => {} };
  }
  throw new Error('no memory cgroup controller found (cgroup v1 memory or v2)');
}

function runChild(group, which) {
  // Start from an empty page cache: file pages cached by an earlier process stay charged to its cgroup, so a child
  // mapping them would hold more than its limit resident without the limit ever seeing them.
  spawnSync('sh', ['-c', 'sync && echo 3 > /proc/sys/vm/drop_caches']);
  group.reset();
  const script = `echo $$ > ${join(group.dir, 'cgroup.procs')} && exec "${process.execPath}" --expose-gc "${fileURLToPath(import.meta.url)}" --child ${which} ${process.argv.slice(2).join(' ')}`;
  const r = spawnSync('sh', ['-c', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, TTL_TORCH_THREADS: String(availableParallelism()) } });
  if (r.status !== 0) throw new Error(`the ${which} run failed (status ${r.status}, signal ${r.signal}: killed for memory if SIGKILL)`);
  return { ...JSON.parse(r.stdout.trim().split('\n').at(-1)), cgroupPeak: group.peak(), cgroupLimitHits: group.failcnt() };
}

async function main() {
  mkdirSync(DIR, { recursive: true });
  const generated = await generate();
  console.log(`set: ${generated.images} JPEGs (${(generated.jpegBytes / 1e9).toFixed(2)} GB), ${(generated.decodedBytes / 1e9).toFixed(2)} GB decoded; limit ${(LIMIT / 2 ** 30).toFixed(1)} GiB`);
  if (!process.argv.includes('--keep-cache')) rmSync(cache, { recursive: true, force: true });
  const sharpImagesPerSecond = await sharpRate(4000);
  console.log(`sharp alone: ${sharpImagesPerSecond.toFixed(0)} images/s`);
  const group = makeCgroup();
  try {
    const first = runChild(group, 'first');
    const second = runChild(group, 'second');
    const ratio = (a, b) => a.imagesPerSecond / b.imagesPerSecond;
    const memoryFtl = [first.memoryFtl.imagesPerSecond, first.memoryFtl2.imagesPerSecond].sort((a, b) => a - b);
    const result = {
      generated, limitBytes: LIMIT, cgroupVersion: group.version, model: MODEL, imageSize: SIZE, storedSide: SIDE, cutoff: CUTOFF, subset: SUBSET,
      threads: availableParallelism(), sharpImagesPerSecond, first, second,
      summary: {
        // From the cache's own record of its build when the first run found it built (--keep-cache).
        decodeImagesPerSecond: generated.images / first.decodeSeconds,
        decodeVsSharp: generated.images / first.decodeSeconds / sharpImagesPerSecond,
        ftlMappedVsMemory: first.mappedFtl.imagesPerSecond / ((memoryFtl[0] + memoryFtl[1]) / 2),
        ttlMappedVsMemory: ratio(first.mappedTtl, first.memoryTtl),
        secondRunSource: second.source, secondRunLoadSeconds: second.loadSeconds,
        peakRssBytes: Math.max(first.final.peakRss, second.final.peakRss),
        cgroupPeakBytes: Math.max(first.cgroupPeak, second.cgroupPeak),
      },
      measuredAt: new Date().toISOString(),
    };
    writeFileSync(join(here, 'results', 'large-data.json'), JSON.stringify(result, null, 2) + '\n');
    console.log(JSON.stringify(result.summary, null, 2));
  } finally {
    rmdirSync(group.dir);
  }
}
