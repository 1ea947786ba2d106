// Markdown tables of the bench results (bench/results/*.json), for docs/benchmarks.md: `npm run docs` writes each
// between its <!-- generated: KIND FILE --> markers, and the suite checks the page matches the results.
const cell = (v, digits = 1) => v.toFixed(digits);

const PEER_TITLES = {
  step: ['ResNet-50 training step, batch 16, 128 px, SGD', 'images/s'],
  infer: ['batch-1 latency, ResNet-50 cut at k + linear head, 224 px', 'ms'],
  epoch: ['one FTL epoch, SqueezeNet 1.1 (ImageNet weights), 64 px, batch 32, default augmentation', 'images/s'],
};

/** bench/results/peers*.json (npm run bench -- peers): one table per section, peers with our ratio to them. */
function peers(results) {
  const { threads, rounds, waitPolicy, date } = results.machine;
  const out = [`${threads} threads, medians of ${rounds} interleaved rounds, OMP_WAIT_POLICY: ${waitPolicy}, ${date.slice(0, 10)}`, ''];
  for (const section of ['step', 'infer', 'epoch']) {
    const cells = Object.keys(results[section] ?? {});
    if (!cells.length) continue;
    const contestants = Object.keys(results[section][cells[0]]);
    const ours = contestants.filter((c) => c.startsWith('ttl-torch'));
    const [title, unit] = PEER_TITLES[section];
    out.push(`**${title}** (${unit}; in brackets: the LibTorch 2.x build's ratio, > 1 means ttl-torch is faster)`, '');
    out.push(`| contestant | ${cells.join(' | ')} |`, `|---|${cells.map(() => '---').join('|')}|`);
    for (const c of contestants) {
      const row = cells.map((name) => {
        const value = cell(results[section][name][c].median);
        if (ours.includes(c)) return value;
        const ratio = results.ratios.find((r) => r.section === section && r.cell === name && r.ours === ours[ours.length - 1] && r.peer === c).ratio;
        return `${value} (${ratio.toFixed(2)}x)`;
      });
      out.push(`| ${c} | ${row.join(' | ')} |`);
    }
    out.push('');
  }
  return out.join('\n').trimEnd();
}

/** bench/results/quality.json (npm run bench -- quality): test AUROC per seed and the mean, per set. */
function quality(results) {
  const lrs = Object.keys(Object.values(results.summary)[0].pytorch);
  const out = [`| set | ttl-torch | ${lrs.map((lr) => `PyTorch + torchvision, LR ${lr}`).join(' | ')} |`, `|---|---|${lrs.map(() => '---').join('|')}|`];
  for (const [set, summary] of Object.entries(results.summary)) {
    const rows = results.rows.filter((r) => r.set === set);
    const ours = `${rows.map((r) => cell(r.ttlTorch, 4)).join(' / ')}, mean ${cell(summary.ttlTorch, 4)}`;
    const theirs = lrs.map((lr) => `${rows.map((r) => cell(r.pytorch[lr].testAuroc, 4)).join(' / ')}, mean ${cell(summary.pytorch[lr], 4)}`);
    out.push(`| ${set} | ${ours} | ${theirs.join(' | ')} |`);
  }
  return out.join('\n');
}

/** bench/results/step-*.json (npm run bench -- step): images/s, GFLOP/s and fraction of peak per contender. */
function step(results) {
  const out = [
    `${results.model} at ${results.size} px, batch ${results.batch}, ${results.threads} threads, LibTorch ${results.libtorch}, ${results.measuredAt.slice(0, 10)}.`,
    `Peak: ${results.peak.describe}. A step counts ${cell((6 * results.macs) / 1e9)} GFLOP per image.`, '',
    '| contender | images/s (median) | rounds | GFLOP/s | of fp32 peak |', '|---|---|---|---|---|',
  ];
  for (const r of results.rows)
    out.push(`| ${r.contender} | ${cell(r.imagesPerSecond)} | ${results.runs[r.contender].map((v) => cell(v)).join(', ')} | ${cell(r.gflops)} | ${Math.round(100 * r.ofPeak)}% |`);
  return out.join('\n');
}

/** bench/results/step-profile.json (npm run bench -- profile): a training step's self CPU time by kind of work. */
function stepProfile(results) {
  const kinds = [...new Set(results.rows.flatMap((r) => Object.keys(r.kinds)))];
  const head = results.rows.map((r) => `${r.model} ${r.size} px, ${r.python}`);
  const out = [`${results.threads} threads, ${results.steps} profiled steps after 3 warm-up steps, ${results.measuredAt.slice(0, 10)} (ms a step, share in brackets):`, '',
    `| work | ${head.join(' | ')} |`, `|---|${head.map(() => '---').join('|')}|`];
  for (const k of kinds)
    out.push(`| ${k} | ${results.rows.map((r) => (r.kinds[k] === undefined ? '-' : `${cell(r.kinds[k])} (${Math.round((100 * r.kinds[k]) / r.msPerStep)}%)`)).join(' | ')} |`);
  out.push(`| **step** | ${results.rows.map((r) => cell(r.msPerStep)).join(' | ')} |`);
  out.push(`| speed-up if all but the convolutions took no time | ${results.rows.map((r) => `${r.ceilingWithoutOtherWork.toFixed(2)}x`).join(' | ')} |`);
  return out.join('\n');
}

/** bench/results/hostile-checkpoint.json (npm run bench -- hostile-checkpoint): peak memory per case. */
function hostileCheckpoint(results) {
  const out = [`${results.model}, ${cell(results.weightBytes / 1e6)} MB of weights, ${results.measuredAt.slice(0, 10)}.`, '',
    '| file | size | peak RSS growth | of the weights | outcome |', '|---|---|---|---|---|'];
  for (const r of results.rows)
    out.push(`| ${r.case} | ${cell(r.fileBytes / 1e6, 2)} MB | ${cell(r.peakGrowthBytes / 1e6)} MB | ${cell(r.ofWeights, 2)}x | ${r.outcome.split(':')[0]} |`);
  return out.join('\n');
}

/** bench/results/latency.json (npm run bench -- latency): batch-1 latency per cutoff and engine. */
function latency(results) {
  const out = [`ResNet-50 cut at k + linear head, batch 1, ${results.size} px, ${results.threads} threads, medians of ${results.rounds} interleaved rounds, ${results.measuredAt.slice(0, 10)} (ms):`, '',
    '| k | ttl-torch serving copy | ttl-torch plain | onnxruntime-node (exported) | PyTorch eager | onnxruntime / serving |', '|---|---|---|---|---|---|'];
  for (const r of results.rows)
    out.push(`| ${r.k} | ${cell(r.servingMs)} | ${cell(r.plainMs)} | ${cell(r.onnxruntimeMs)} | ${cell(r.pytorchEagerMs)} | ${(r.onnxruntimeMs / r.servingMs).toFixed(2)}x |`);
  return out.join('\n');
}

/** bench/results/large-data.json (npm run bench -- large-data): a set larger than its memory cgroup. */
function largeData(results) {
  const gb = (bytes) => `${cell(bytes / 1e9, 2)} GB`;
  const gib = (bytes) => `${cell(bytes / 2 ** 30, 2)} GiB`;
  const { first, second, summary: s } = results;
  const epoch = (r) => `${cell(r.imagesPerSecond)} images/s over ${r.trainImages} images`;
  const out = [
    `${results.generated.images} JPEGs (${gb(results.generated.jpegBytes)}), ${gb(results.generated.decodedBytes)} decoded at ${results.storedSide} px; ` +
      `${results.model} at ${results.imageSize} px (TTL k=${results.cutoff}), batch 64, ${results.threads} threads; memory cgroup v${results.cgroupVersion} limit ${gib(results.limitBytes)}; ${results.measuredAt.slice(0, 10)}.`, '',
    '| measure | value |', '|---|---|',
    first.source === 'decoded'
      ? `| first pass: decode into the cache | ${cell(s.decodeImagesPerSecond)} images/s (${cell(first.loadSeconds)} s); sharp alone on a sample: ${cell(results.sharpImagesPerSecond)} images/s (${s.decodeVsSharp.toFixed(2)}x) |`
      // --keep-cache: the decode ran in an earlier run; its rate is the cache header's, not measured beside sharp.
      : `| first pass: decode into the cache (an earlier run's, from the cache header) | ${cell(s.decodeImagesPerSecond)} images/s (${cell(first.decodeSeconds)} s); this run mapped it in ${cell(first.loadSeconds)} s |`,
    `| FTL epoch, whole set mapped | ${epoch(first.mappedFtl)} |`,
    `| FTL epoch, ${results.subset} images in memory (two rounds) | ${cell(first.memoryFtl.imagesPerSecond)}, ${cell(first.memoryFtl2.imagesPerSecond)} images/s |`,
    `| TTL epoch, whole set mapped | ${epoch(first.mappedTtl)} |`,
    `| TTL epoch, ${results.subset} images in memory | ${cell(first.memoryTtl.imagesPerSecond)} images/s |`,
    `| mapped / in memory | FTL ${s.ftlMappedVsMemory.toFixed(2)}x, TTL ${s.ttlMappedVsMemory.toFixed(2)}x |`,
    `| second run: load (mapped, checksum pass) | ${second.source}, ${cell(second.loadSeconds)} s, then TTL ${epoch(second.mappedTtl)} |`,
    `| peak RSS (VmHWM) / cgroup peak | ${gib(s.peakRssBytes)} / ${gib(s.cgroupPeakBytes)} of ${gib(results.limitBytes)} |`,
  ];
  return out.join('\n');
}

/** bench/results/int8.json (npm run bench -- int8): int8 vs float serving copy per LibTorch build, latency and accuracy. */
function int8(results) {
  const out = [];
  for (const [libtorch, b] of Object.entries(results.builds)) {
    const l = b.latency;
    out.push(`**LibTorch ${libtorch}** (${b.cpuCapability}, quantized engines: ${b.available.join(', ')}; ${(l.measuredAt ?? b.measuredAt).slice(0, 10)}). ` +
      `Batch-1 latency, ResNet-50 cut at k + linear head, ${l.size} px, ${l.threads} threads, medians of ${l.rounds} interleaved rounds (ms; int8 / fp32 in brackets):`, '',
    `| k | fp32 serving copy | ${b.engines.map((e) => `int8 ${e}`).join(' | ')} |`, `|---|---|${b.engines.map(() => '---').join('|')}|`);
    for (const r of l.rows) out.push(`| ${r.k} | ${cell(r.fp32Ms)} | ${b.engines.map((e) => `${cell(r.int8Ms[e])} (${r.ratios[e].toFixed(2)}x)`).join(' | ')} |`);
    const a = b.accuracy;
    if (a.rows.length) {
      const day = (a.measuredAt ?? b.measuredAt).slice(0, 10);
      const fx = a.rows.some((r) => r.fx);
      out.push('', `Test sets (${day}), networks trained from scratch at ${a.trainSize} px for ${a.epochs} epochs (at most ${a.trainLimit} training images), ` +
        `int8 with the predictor's engine (${b.autoEngine}) calibrated on ${a.calibration} training images:`, '',
        '| set | k | AUROC fp32 | AUROC int8 | difference | identical labels |' + (fx ? ' PyTorch FX int8: AUROC difference | identical labels |' : ''),
        '|---|---|---|---|---|---|' + (fx ? '---|---|' : ''));
      for (const r of a.rows)
        out.push(`| ${r.set} | ${r.k} | ${cell(r.fp32Auroc, 4)} | ${cell(r.int8Auroc, 4)} | ${(r.int8Auroc - r.fp32Auroc).toFixed(4)} | ${cell(100 * r.agreement)}% of ${r.testImages} |` +
          (r.fx ? ` ${(r.fx.int8Auroc - r.fx.fp32Auroc).toFixed(4)} | ${cell(100 * r.fx.agreement)}% |` : ''));
    }
    out.push('');
  }
  return out.join('\n').trimEnd();
}

/** bench/results/bf16.json (npm run bench -- bf16): float32 against bf16 autocast per set, model and strategy. */
function bf16(results) {
  const m = results.machine;
  const c = results.criteria;
  const v = results.verdict;
  const out = [`LibTorch ${m.libtorch} on ${m.device === 'cpu' ? `${m.cpu} (${m.cpuCapability}, BF16 instructions: ${m.bf16Instructions ? 'yes' : 'no'})` : m.device}, ` +
    `${m.threads} threads, ${results.measuredAt.slice(0, 10)}. Mean test AUROC over the seeds; p: the smallest of the seeds' paired tests; ` +
    'speed: median of the seeds\' bf16 / float32 epoch images/s.', '',
  '| set | model | strategy | seeds | epochs, size | AUROC fp32 | AUROC bf16 | difference | p | speed |', '|---|---|---|---|---|---|---|---|---|---|'];
  for (const s of results.summary)
    out.push(`| ${s.set} | ${s.model} | ${s.strategy} | ${s.seeds.join(', ')} | ${s.epochs}, ${s.size} px | ${cell(s.fp32Auroc, 4)} | ${cell(s.bf16Auroc, 4)} | ` +
      `${s.difference.toFixed(4)} | ${s.minP.toPrecision(2)} | ${s.speedup.toFixed(2)}x |`);
  out.push('', `Bar for a default: |difference| <= ${c.maxAurocDifference}, every p >= ${c.minP}, speed >= ${c.minSpeedup}x, on the whole protocol. ` +
    (v.free ? '**Met.**' : `**Not met**${v.fullProtocol ? '' : ' (and this run covers only part of the protocol)'}: ${v.failed.length} failed check${v.failed.length === 1 ? '' : 's'}.`));
  return out.join('\n');
}

/** bench/results/dicom.json (npm run bench -- dicom): decode time per syntax against pydicom, and the cache build rate. */
function dicom(results) {
  const m = results.machine;
  const out = [
    `${m.cpu}, ${m.cores} cores, ${m.date.slice(0, 10)}; medians of ${m.rounds} interleaved rounds of ${m.reps} decodes after a warm-up, each side a fresh process a round. ` +
      `Stored values: ttl-torch's parse and decode on the calling thread, against pydicom ${m.pydicom} with pylibjpeg ${m.pylibjpeg}'s \`dcmread(...).pixel_array\`; ` +
      '`readDicom` adds the Modality LUT and the window to [0, 1] (float32).', '',
    '| image | transfer syntax | ttl-torch stored values, ms | pydicom + pylibjpeg, ms | pydicom / ttl-torch | ttl-torch `readDicom`, ms |', '|---|---|---|---|---|---|',
  ];
  for (const r of results.rows) out.push(`| ${r.image} | ${r.syntax} | ${cell(r.storedMs)} | ${cell(r.pydicomMs)} | ${r.ratio.toFixed(2)}x | ${cell(r.readDicomMs)} |`);
  const c = results.cache;
  out.push('', `Decoded-image cache built from a folder of ${c.images} DICOM files (${c.source}) at ${c.size} px: ${cell(c.imagesPerSecond)} images/s (${cell(c.decodeSeconds)} s).`);
  return out.join('\n');
}

/** bench/results/families.json (npm run bench -- families): block cutoffs' share of each backbone, and speed. */
function families(results) {
  const pct = (v) => `${(100 * v).toFixed(1)}%`;
  const out = ['Params and MACs of each block cutoff at 224 px, as a share of the whole backbone (exact; head excluded):', '',
    '| backbone | block cutoffs k | params | MACs |', '|---|---|---|---|'];
  for (const [name, rows] of Object.entries(results.complexity))
    out.push(`| ${name} | ${rows.map((r) => r.k).join(', ')} | ${rows.map((r) => pct(r.paramsShare)).join(', ')} | ${rows.map((r) => pct(r.macsShare)).join(', ')} |`);
  const { threads, rounds, date } = results.machine;
  const contestants = Object.keys(results.speed[0].medians);
  out.push('', `Training step (batch 16, 128 px, images/s) and batch-1 latency (224 px, ms), 2-class linear head; ${threads} threads, medians of ${rounds} interleaved rounds, ${date.slice(0, 10)}. In brackets: ttl-torch against PyTorch 2.x eager, > 1 when ttl-torch is faster.`, '',
    `| backbone | k | measure | ${contestants.join(' | ')} |`, `|---|---|---|${contestants.map(() => '---').join('|')}|`);
  for (const s of results.speed)
    out.push(`| ${s.model} | ${s.k} | ${s.what === 'step' ? 'step, images/s' : 'latency, ms'} | ${contestants.map((c) => `${cell(s.medians[c], s.what === 'step' ? 1 : 2)}${s.ratios[c] ? ` (${s.ratios[c].toFixed(2)}x)` : ''}`).join(' | ')} |`);
  return out.join('\n');
}

export const TABLES = { families, dicom, peers, quality, step, 'step-profile': stepProfile, 'hostile-checkpoint': hostileCheckpoint, latency, int8, 'large-data': largeData, bf16 };

// The block between the markers may be empty (a new table): the lazy body must not run on to the next block's end.
const MARKER = /(<!-- generated: ([\w-]+) (\S+) -->\n)(?:[\s\S]*?\n)??(<!-- \/generated -->)/g;

/** `markdown` with every generated block rewritten from its results file (paths relative to `root`). */
export function fillGenerated(markdown, readResults) {
  return markdown.replace(MARKER, (_, open, kind, file, close) => {
    if (!TABLES[kind]) throw new Error(`unknown generated table '${kind}' (known: ${Object.keys(TABLES).join(', ')})`);
    return `${open}${TABLES[kind](readResults(file))}\n${close}`;
  });
}
