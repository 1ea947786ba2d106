#!/usr/bin/env node
// Writes its cases into test/fuzz-corpus/: one small case per input that once crashed, hung or blew up memory (issue
// #11's sweep, and cases found by npm run fuzz since), each with the clean outcome now expected.
// Run it again after adding a case; the files are committed, the replay is test/fuzz.test.ts.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32, deflateRawSync, gzipSync } from 'node:zlib';
import { dicomBytes } from './formats/dicom.mjs';
import { niftiBytes } from './formats/nifti.mjs';
import { npyBytes } from './formats/npy.mjs';
import { Pickle, stateDictPickle } from './formats/pickle.mjs';
import { zipBytes } from './formats/zip.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', 'test', 'fuzz-corpus');
const cases = [];
const add = (name, format, entry, files, expect) => cases.push({ name, format, entry, files, expect });

function safetensors(header, data, text = JSON.stringify(header)) {
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(text)));
  return Buffer.concat([len, Buffer.from(text), data]);
}
const w = { dtype: 'F32', shape: [2], data_offsets: [0, 8] };
add('safetensors-trailing-garbage', 'safetensors', 'w.safetensors', { 'w.safetensors': safetensors({ w }, Buffer.alloc(12)) },
  { code: 'E_BAD_WEIGHTS', message: '4 bytes of trailing data after the last tensor' });
add('safetensors-array-metadata', 'safetensors', 'w.safetensors', { 'w.safetensors': safetensors({ __metadata__: ['a'], w }, Buffer.alloc(8)) },
  { code: 'E_BAD_WEIGHTS', message: '__metadata__ must map strings to strings' });
add('safetensors-duplicate-key', 'safetensors', 'w.safetensors',
  { 'w.safetensors': safetensors(null, Buffer.alloc(8), '{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}') },
  { code: 'E_BAD_WEIGHTS', message: 'the header has the key w twice' });

const tensor = (over = {}) => ({ name: 'conv.weight', type: 'FloatStorage', key: '0', offset: 0, shape: [2, 2], stride: [2, 1], ...over });
const pthZip = (pkl, storages = { 0: Buffer.alloc(16) }) =>
  zipBytes([{ name: 'archive/data.pkl', data: pkl }, ...Object.entries(storages).map(([k, data]) => ({ name: `archive/data/${k}`, data }))]);
add('pth-stride0-huge', 'pth-zip', 'm.pth', { 'm.pth': pthZip(stateDictPickle([tensor({ shape: [30000, 30000], stride: [0, 0] })])) },
  { code: 'E_BAD_WEIGHTS', message: 'has shape [30000,30000] (900000000 elements) but its storage 0 holds 4' });
add('pth-proto-storage', 'pth-zip', 'm.pth', { 'm.pth': pthZip(stateDictPickle([tensor({ type: '__proto__' })])) },
  { code: 'E_BAD_WEIGHTS', message: 'the checkpoint refers to torch.__proto__' });
add('pth-negative-stride', 'pth-zip', 'm.pth', { 'm.pth': pthZip(stateDictPickle([tensor({ stride: [-2, 1] })])) },
  { code: 'E_BAD_WEIGHTS', message: 'negative strides [-2, 1]' });
add('pth-bigint-shape', 'pth-zip', 'm.pth', { 'm.pth': pthZip(stateDictPickle([tensor({ shape: [2n ** 70n, 1] })])) },
  { code: 'E_BAD_WEIGHTS', message: 'an invalid shape' });
add('pth-selfref-dict', 'pth-zip', 'm.pth', { 'm.pth': pthZip(stateDictPickle([], { wrap: 'selfref' })) },
  { code: 'E_BAD_WEIGHTS', message: 'the checkpoint holds no tensors' });
const deep = new Pickle();
for (let i = 0; i < 30000; i++) deep.op(0x5d);
for (let i = 0; i < 29999; i++) deep.op(0x61);
add('pth-deep-lists', 'pth-zip', 'm.pth', { 'm.pth': pthZip(deep.stop().bytes()) }, { code: 'E_BAD_WEIGHTS', message: 'expected a state dict' });
add('pth-append-on-int', 'pth-zip', 'm.pth', { 'm.pth': pthZip(new Pickle().int(5).op(0x4e, 0x61).stop().bytes()) },
  { code: 'E_BAD_WEIGHTS', message: 'APPEND on a non-list' });
add('pth-code-execution', 'pth-zip', 'm.pth', { 'm.pth': pthZip(new Pickle().global('os', 'system').str('touch /tmp/ttl-pwned').op(0x85, 0x52).stop().bytes()) },
  { code: 'E_BAD_WEIGHTS', message: 'the checkpoint refers to os.system' });
const legacyHead = [new Pickle().long(0x1950a86a20f9469cfc6cn).stop().bytes(), new Pickle().int(1001).stop().bytes(), new Pickle().op(0x7d).stop().bytes()];
const keys = new Pickle().op(0x5d, 0x28).str('0').op(0x65).stop().bytes();
const numel = Buffer.alloc(8);
numel.writeBigInt64LE(-60713n);
add('pth-legacy-negative-numel', 'pth-legacy', 'm.pt', { 'm.pt': Buffer.concat([...legacyHead, stateDictPickle([tensor()]), keys, numel, Buffer.alloc(16)]) },
  { code: 'E_BAD_WEIGHTS', message: 'storage 0 declares -60713 elements' });
// Issue #26: a small file whose pickle, or one storage, inflates to 64 MB of zeros; refused before inflating.
const zeros = new Uint8Array(64 * 1024 ** 2);
const bomb = { data: new Uint8Array(0), deflate: true, compressed: deflateRawSync(zeros), declaredSize: zeros.length };
add('pth-pickle-bomb', 'pth-zip', 'm.pth', { 'm.pth': zipBytes([{ name: 'archive/data.pkl', ...bomb }]) },
  { code: 'E_BAD_WEIGHTS', message: 'its pickle archive/data.pkl declares 67108864 bytes' });
add('pth-storage-bomb', 'pth-zip', 'm.pth', { 'm.pth': zipBytes([{ name: 'archive/data.pkl', data: stateDictPickle([tensor()]) }, { name: 'archive/data/0', ...bomb }]) },
  { code: 'E_BAD_WEIGHTS', message: 'storage 0 inflates to 67108864 bytes but the tensors loaded from it read 16' });

function medmnist({ n = 4, labels = null, bombed = false } = {}) {
  const entries = [];
  for (const split of ['train', 'val', 'test']) {
    entries.push({ name: `${split}_images.npy`, data: npyBytes('<u1', [n, 1, 1], new Uint8Array(n)), deflate: true });
    const l = labels?.(split) ?? new BigInt64Array(n).map((_, i) => BigInt(i % 2));
    entries.push({ name: `${split}_labels.npy`, data: npyBytes('<i8', [n, 1], l), deflate: true });
  }
  if (bombed) Object.assign(entries[0], { data: Buffer.alloc(8 * 1024 * 1024), declaredSize: 4096 });
  return zipBytes(entries);
}
add('npz-label-1e8', 'npz', 'd.npz', { 'd.npz': medmnist({ labels: (s) => BigInt64Array.from([0n, 1n, s === 'val' ? 100000000n : 0n, 1n]) }) },
  { code: 'E_BAD_INPUT', message: 'label 100000000 means at least 100000001 classes, but there are only 12 samples' });
add('npz-deflate-bomb', 'npz', 'd.npz', { 'd.npz': medmnist({ bombed: true }) },
  { code: 'E_BAD_INPUT', message: 'entry train_images.npy inflates to more than the 4096 bytes the directory declares' });
add('npz-236386-labels', 'npz', 'd.npz', { 'd.npz': medmnist({ n: 236386 }) }, { outcome: 'success' });
add('npy-truncated-negative', 'npy', 'a.npy', { 'a.npy': Buffer.concat([npyBytes('<u1', [4], new Uint8Array(4)).subarray(0, 8), Buffer.from([0xff, 0x7f])]) },
  { code: 'E_BAD_INPUT', message: 'the header declares 32767 bytes' });
add('npy-negative-shape', 'npy', 'a.npy', { 'a.npy': npyBytes('<u1', [-4, 2], new Uint8Array(8)) },
  { code: 'E_BAD_INPUT', message: 'shape (-4, 2) is not a tuple of non-negative integers' });

add('nifti-negative-dim', 'nifti', 'v.nii', { 'v.nii': niftiBytes({ dims: [-122, 101, 30], data: Buffer.alloc(8) }) },
  { code: 'E_BAD_IMAGE', message: 'dim[1] = -122; dimensions must be positive' });
add('nifti-nan-vox-offset', 'nifti', 'v.nii', { 'v.nii': niftiBytes({ voxOffset: NaN }) }, { code: 'E_BAD_IMAGE', message: 'vox_offset = NaN' });
add('nifti-negative-vox-offset', 'nifti', 'v.nii', { 'v.nii': niftiBytes({ voxOffset: -352 }) }, { code: 'E_BAD_IMAGE', message: 'vox_offset = -352' });
add('nifti-gzip-bomb', 'nifti', 'v.nii.gz', { 'v.nii.gz': gzipSync(Buffer.concat([niftiBytes(), Buffer.alloc(32 * 1024 * 1024)])) },
  { code: 'E_BAD_IMAGE', message: 'it inflates to more than the 472 bytes its header declares' });
add('nifti-huge-dims', 'nifti', 'v.nii.gz', { 'v.nii.gz': gzipSync(niftiBytes({ dims: [32767, 32767, 32767], data: Buffer.alloc(16) })) },
  { code: 'E_BAD_IMAGE', message: 'over the 1 GiB limit' });

// Cut inside the data set, dicom-parser throws a plain { exception, dataSet } object (once "[object Object]").
add('dicom-parser-object', 'dicom', 's.dcm', { 's.dcm': dicomBytes().subarray(0, 244) },
  { code: 'E_BAD_IMAGE', message: 'unreadable DICOM (dicomParser:parseDicomDataSetExplicit: buffer overrun)' });

const sharp = (await import('sharp')).default;
const png = await sharp(Buffer.alloc(256), { raw: { width: 16, height: 16, channels: 1 } }).png().toBuffer();
png.writeUInt32BE(16000, 16);
png.writeUInt32BE(16000, 20);
png.writeUInt32BE(crc32(png.subarray(12, 29)) >>> 0, 29); // a valid IHDR: only the size is hostile
add('png-16000-square', 'image', 'big.png', { 'big.png': png }, { code: 'E_BAD_IMAGE', message: 'the image is 16000x16000 (256 Mpx), over the 64 Mpx limit' });

add('csv-outside-path', 'csv', 'labels.csv', { 'labels.csv': 'file,label\n../../etc/passwd,a\nx.png,b\n' },
  { code: 'E_BAD_INPUT', message: "labels.csv line 2: file '../../etc/passwd' is outside the manifest's folder" });

const cfg = { task: 'classification', data: 'breastmnist', model: 'squeezenet1_1', weights: 'imagenet', strategies: ['ftl', 'ttl'], search: 'block', repeats: 1, epochs: 1, imageSize: 32 };
const trial = (id, cutoff, extra = {}) => JSON.stringify({ type: 'trial', id, strategy: id.split('-')[0], cutoff, seed: 0, stage: 1, status: 'ok',
  val: { auroc: 0.9, auprc: 0.9 }, test: { auroc: 0.8, auprc: 0.8 }, params: 1, macs: 1, finishedAt: 'x', ...extra });
const run = (config, journal) => ({ 'run/config.json': JSON.stringify(config), 'run/journal.jsonl': journal });
add('run-repeats-1e9', 'rundir', 'run', run({ ...cfg, repeats: 1e9 }, ''), { code: 'E_BAD_RUN', message: 'config.json: Expected an integer between 1 and 100 for repeats but received 1000000000' });
add('run-search-bogus', 'rundir', 'run', run({ ...cfg, search: 'bogus' }, ''), { code: 'E_BAD_RUN', message: "for search but received 'bogus'" });
add('run-search-99', 'rundir', 'run', run({ ...cfg, search: [99] }, ''), { code: 'E_BAD_RUN', message: 'search k=99 is out of range for squeezenet1_1' });
add('run-strategies-number', 'rundir', 'run', run({ ...cfg, strategies: 7 }, ''), { code: 'E_BAD_RUN', message: 'for strategies but received 7 of type number' });
add('run-config-not-json', 'rundir', 'run', { 'run/config.json': '{"repeats": 1', 'run/journal.jsonl': '' }, { code: 'E_BAD_RUN', message: 'config.json: ' });
add('run-null-line', 'rundir', 'run', run(cfg, `${trial('ttl-k3-s0', 3)}\nnull\n`), { code: 'E_BAD_RUN', message: 'journal.jsonl line 2: expected a record object, found null' });
add('run-42-line', 'rundir', 'run', run(cfg, `42\n${trial('ttl-k3-s0', 3)}\n`), { code: 'E_BAD_RUN', message: 'journal.jsonl line 1: expected a record object, found number' });
add('run-trial-without-val', 'rundir', 'run', run(cfg, `${trial('ttl-k3-s0', 3, { val: undefined })}\n`), { code: 'E_BAD_RUN', message: 'trial ttl-k3-s0 has no val metrics' });
add('run-corrupt-middle-line', 'rundir', 'run', run(cfg, `${trial('ttl-k3-s0', 3)}\n{"type":"tri\n${trial('ttl-k5-s0', 5)}\n`),
  { code: 'E_BAD_RUN', message: 'journal.jsonl line 2: not valid JSON' });
add('run-torn-tail', 'rundir', 'run', run(cfg, `${trial('ttl-k3-s0', 3)}\n{"type":"trial","id":"ttl-k5`), { outcome: 'success' });
add('run-corrupt-curves', 'rundir', 'run', { ...run(cfg, `${trial('ttl-k3-s0', 3)}\n`), 'run/trials/ttl-k3-s0/curves.json': '[{"epoch": 1,' },
  { code: 'E_BAD_RUN', message: 'trials/ttl-k3-s0/curves.json: ' });
add('run-curves-null', 'rundir', 'run', { ...run(cfg, `${trial('ttl-k3-s0', 3)}\n`), 'run/trials/ttl-k3-s0/curves.json': 'null' },
  { code: 'E_BAD_RUN', message: 'trials/ttl-k3-s0/curves.json: the file must be an array of { epoch, val }' });
add('run-predictions-short-probs', 'rundir', 'run', {
  ...run(cfg, `${trial('ttl-k3-s0', 3)}\n`),
  'run/trials/ttl-k3-s0/predictions.json': JSON.stringify({ classes: ['a', 'b'], val: { labels: [0, 1], probs: [0.5, 0.5, 0.5] }, test: { labels: [0, 1], probs: [1, 0, 0, 1] } }),
}, { code: 'E_BAD_RUN', message: 'trials/ttl-k3-s0/predictions.json: val.probs must be 2 x 2 probabilities in [0, 1]' });
add('run-duplicate-trial', 'rundir', 'run', run(cfg, `${trial('ttl-k3-s0', 3)}\n${trial('ttl-k3-s0', 3)}\n`), { outcome: 'success' });

// Only this script's cases are rewritten: the corpus also holds cases that fuzz campaigns minimised.
for (const c of cases) {
  const dir = join(root, c.name);
  rmSync(dir, { recursive: true, force: true });
  for (const [path, data] of Object.entries(c.files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), data);
  }
  writeFileSync(join(dir, 'case.json'), JSON.stringify({ format: c.format, entry: c.entry, expect: { outcome: 'clean', ...c.expect } }, null, 2) + '\n');
}
console.log(`${cases.length} cases in ${root}`);
