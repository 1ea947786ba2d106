#!/usr/bin/env node
// npm run bench -- dicom [--rounds 3 --reps 5 --cache-images 120]: DICOM decode rate per transfer syntax, ttl-torch
// against pydicom + pylibjpeg on the same files in interleaved rounds (each side a fresh process per round, one
// warm-up decode per file, then --reps timed decodes; medians), and the decoded-image cache built from a folder of
// compressed DICOM. The files: a real CT slice (../shared/data/nifti-samples) resampled to 512 x 512 (a CT) and
// 2560 x 2560 (the size of a CR/DX; its content is the CT's, interpolated), written by pydicom
// (bench/dicom_sources.py) and transcoded by GDCM, dcmtk and OpenJPH. Needs `bash scripts/setup.sh --test`.
// Writes bench/results/dicom.json; docs/dicom.md's table is generated from it (npm run docs).
import { execFileSync, spawnSync } from 'node:child_process';
import { cpus, tmpdir } from 'node:os';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const dist = (path) => import(join(root, 'dist', path));

// Child mode: time ttl-torch on each file, in this process: the stored values alone (what pydicom's pixel_array
// gives) and readDicom (that, then the Modality LUT and the window to [0, 1]).
if (process.argv[2] === '--time-ours') {
  const { readDicom } = await dist('data/dicom/index.js');
  const { loadDicom } = await dist('data/dicom/parse.js');
  const { describePixels } = await dist('data/dicom/description.js');
  const { storedFrame } = await dist('data/dicom/pixel-data.js');
  const stored = (path) => {
    const dicom = loadDicom(path);
    const d = describePixels(dicom);
    for (let f = 0; f < d.frames; f++) storedFrame(dicom, d, f);
  };
  const reps = Number(process.argv[3]);
  const time = (fn, path) => {
    fn(path);
    return Array.from({ length: reps }, () => {
      const start = performance.now();
      fn(path);
      return performance.now() - start;
    });
  };
  const times = Object.fromEntries(process.argv.slice(4).map((path) => [path, { stored: time(stored, path), full: time(readDicom, path) }]));
  process.stdout.write(JSON.stringify(times));
  process.exit(0);
}

const { values } = parseArgs({ options: {
  rounds: { type: 'string', default: '3' }, reps: { type: 'string', default: '5' }, 'cache-images': { type: 'string', default: '120' },
  out: { type: 'string', default: join(here, 'results', 'dicom.json') },
} });
const python = resolve(root, process.env.TTL_TORCH_TEST_VENV || '.venv-test', 'bin', 'python');
const shared = resolve(root, '..', 'shared');
const work = mkdtempSync(join(tmpdir(), 'ttl-dicom-bench-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const tool = (command, ...args) => execFileSync(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });

const { readNifti, scaled } = await dist('data/volumes/nifti.js');

/** Slice z of a NIfTI volume as HU, bilinearly resampled to size x size, written as raw int16. */
function rawSlice(file, z, size, out) {
  const volume = readNifti(file);
  const [w, h] = volume.shape;
  const hu = scaled(volume).subarray(z * w * h, (z + 1) * w * h);
  const pixels = new Int16Array(size * size);
  for (let y = 0; y < size; y++) {
    const fy = Math.min(h - 1, Math.max(0, ((y + 0.5) * h) / size - 0.5)), y0 = Math.floor(fy), y1 = Math.min(h - 1, y0 + 1);
    for (let x = 0; x < size; x++) {
      const fx = Math.min(w - 1, Math.max(0, ((x + 0.5) * w) / size - 0.5)), x0 = Math.floor(fx), x1 = Math.min(w - 1, x0 + 1);
      const at = (yy, xx) => hu[yy * w + xx];
      const top = at(y0, x0) * (1 - (fx - x0)) + at(y0, x1) * (fx - x0);
      const bottom = at(y1, x0) * (1 - (fx - x0)) + at(y1, x1) * (fx - x0);
      pixels[y * size + x] = Math.round(top * (1 - (fy - y0)) + bottom * (fy - y0));
    }
  }
  writeFileSync(out, Buffer.from(pixels.buffer));
  return `${size}:${size}:${out}`;
}

/** Each source in every syntax: explicit little endian and HTJ2K from dicom_sources.py, the rest transcoded. */
function sources() {
  const ct = join(shared, 'data', 'nifti-samples', 'example_ct.nii.gz');
  const specs = [['ct512', 512], ['dx2560', 2560]].map(([name, size]) => `${name}:${rawSlice(ct, 60, size, join(work, `${name}.raw`))}`);
  tool(python, join(here, 'dicom_sources.py'), work, ...specs);
  const files = [];
  for (const [name] of [['ct512'], ['dx2560']]) {
    const base = join(work, `${name}.dcm`);
    const encodings = {
      'Explicit VR Little Endian': base,
      'RLE Lossless': ['gdcmconv', '--rle'],
      'JPEG Lossless SV1': ['dcmcjpeg', '+e1'],
      'JPEG-LS Lossless': ['gdcmconv', '--jpegls'],
      'JPEG 2000 Lossless': ['gdcmconv', '--j2k'],
      'HTJ2K Lossless': join(work, `${name}-htj2k.dcm`),
    };
    for (const [syntax, how] of Object.entries(encodings)) {
      let file = how;
      if (Array.isArray(how)) {
        file = join(work, `${name}-${syntax.replace(/\W+/g, '-')}.dcm`);
        tool(how[0], ...how.slice(1), base, file);
      }
      files.push({ image: name === 'ct512' ? 'CT 512 x 512' : 'CR/DX-size 2560 x 2560', syntax, file });
    }
  }
  return files;
}

function timeRound(files, reps) {
  const paths = files.map((f) => f.file);
  const ours = JSON.parse(spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--time-ours', String(reps), ...paths], { encoding: 'utf8', maxBuffer: 1 << 26 }).stdout);
  const theirs = JSON.parse(spawnSync(python, [join(here, 'dicom_pydicom_time.py'), String(reps), ...paths], { encoding: 'utf8', maxBuffer: 1 << 26 }).stdout);
  return { ours, theirs };
}

/** A folder of `count` CT slices (two classes), JPEG 2000 lossless, named by number: the cache's build rate. */
async function cacheBuild(count) {
  const folder = join(work, 'export');
  const ct = join(shared, 'data', 'nifti-samples', 'aorta_ct_cropped.nii.gz');
  const specs = [];
  for (let i = 0; i < count; i++) specs.push(`s${i}:${rawSlice(ct, i % 164, 512, join(work, `s${i}.raw`))}`);
  tool(python, join(here, 'dicom_sources.py'), work, ...specs);
  for (let i = 0; i < count; i++) {
    const label = join(folder, i % 2 ? 'b' : 'a');
    mkdirSync(label, { recursive: true });
    tool('gdcmconv', '--j2k', join(work, `s${i}.dcm`), join(label, String(i)));
  }
  const { loadDataset } = await dist('data/index.js');
  const { report } = await loadDataset(folder, { size: 64, cache: join(work, 'cache') });
  return { images: count, source: 'aorta_ct_cropped slices at 512 x 512, JPEG 2000 lossless', size: 64, decodeSeconds: report.decodeSeconds, imagesPerSecond: count / report.decodeSeconds };
}

const files = sources();
const rounds = Number(values.rounds), reps = Number(values.reps);
const runs = files.map(() => ({ stored: [], full: [], pydicom: [] }));
for (let r = 0; r < rounds; r++) {
  const { ours, theirs } = timeRound(files, reps);
  files.forEach((f, i) => {
    runs[i].stored.push(median(ours[f.file].stored));
    runs[i].full.push(median(ours[f.file].full));
    runs[i].pydicom.push(median(theirs[f.file]));
  });
  console.log(`round ${r + 1}/${rounds} done`);
}
const rows = files.map((f, i) => ({
  image: f.image, syntax: f.syntax, storedMs: median(runs[i].stored), readDicomMs: median(runs[i].full), pydicomMs: median(runs[i].pydicom),
  // pydicom's time over ours for the same work (stored values), per round, then the median.
  ratio: median(runs[i].pydicom.map((t, k) => t / runs[i].stored[k])), rounds: runs[i],
}));
const cache = await cacheBuild(Number(values['cache-images']));
const versions = execFileSync(python, ['-c', 'import pydicom, pylibjpeg, openjpeg, libjpeg; print(pydicom.__version__, pylibjpeg.__version__, openjpeg.__version__, libjpeg.__version__)'], { encoding: 'utf8' }).trim().split(' ');
const results = {
  machine: { cpu: cpus()[0].model, cores: cpus().length, date: new Date().toISOString(), rounds, reps, node: process.version,
    pydicom: versions[0], pylibjpeg: versions[1], pylibjpegOpenjpeg: versions[2], pylibjpegLibjpeg: versions[3] },
  rows, cache,
};
writeFileSync(values.out, JSON.stringify(results, null, 2) + '\n');
for (const r of rows) console.log(`${r.image.padEnd(24)} ${r.syntax.padEnd(26)} ttl-torch ${r.storedMs.toFixed(1)} ms (readDicom ${r.readDicomMs.toFixed(1)}), pydicom ${r.pydicomMs.toFixed(1)} ms (${r.ratio.toFixed(2)}x)`);
console.log(`decoded-image cache from ${cache.images} JPEG 2000 files: ${cache.imagesPerSecond.toFixed(1)} images/s`);
