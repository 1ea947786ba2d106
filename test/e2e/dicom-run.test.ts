// `ttl-torch run` on a PACS-style export: real chest X-rays (PneumoniaMNIST) made into DICOM by dcmtk's img2dcm,
// transcoded by GDCM to JPEG-LS, RLE and JPEG 2000 (a quarter kept as JPEG baseline), each file named by its SOP
// Instance UID with no extension, in one folder per class. The run must find, decode and train on all of them.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMedMNIST } from '../../src/data/index.js';
import { root, shared, testCacheDir } from '../support/helpers.js';

const cli = join(root, 'dist', 'cli', 'main.js');
const env = { ...process.env, TTL_TORCH_OFFLINE: '1', TTL_TORCH_CACHE: testCacheDir, TTL_TORCH_THREADS: '1' };
const dir = mkdtempSync(join(tmpdir(), 'ttl-dicom-run-'));
const folder = join(dir, 'export');
const IMAGES = 48;
const ENCODINGS = [[], ['--jpegls'], ['--rle'], ['--j2k']];
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const tool = (command: string, ...args: string[]) => {
  const r = spawnSync(command, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')}: ${r.stderr || r.stdout || r.error}`);
  return r.stdout;
};

beforeAll(async () => {
  const { train } = readMedMNIST(join(shared, 'data', 'pneumoniamnist', 'pneumoniamnist.npz'));
  for (let i = 0; i < IMAGES; i++) {
    const label = train.labels[i] ? 'pneumonia' : 'normal';
    mkdirSync(join(folder, label), { recursive: true });
    const jpeg = join(dir, `${i}.jpg`), dcm = join(dir, `${i}.dcm`);
    await sharp(train.images.subarray(i * 784, (i + 1) * 784), { raw: { width: 28, height: 28, channels: 1 } }).jpeg({ quality: 95 }).toFile(jpeg);
    tool('img2dcm', jpeg, dcm);
    const encoding = ENCODINGS[i % ENCODINGS.length];
    if (encoding.length) tool('gdcmconv', ...encoding, dcm, dcm);
    const uid = /\[([\d.]+)\]/.exec(tool('dcmdump', '+P', 'SOPInstanceUID', dcm))![1];
    renameSync(dcm, join(folder, label, uid));
  }
}, 120_000);

describe('ttl-torch run on a DICOM export', () => {
  it('trains from a folder of compressed, extension-less DICOM files named by UID', () => {
    const out = join(dir, 'run');
    const r = spawnSync(process.execPath, [
      cli, 'run', '--data', folder, '--model', 'squeezenet1_1', '--weights', 'none', '--epochs', '1', '--image-size', '32',
      '--strategies', 'ttl', '--search', 'k=3', '--analyses', 'none', '--data-cache', 'off', '--out', out,
    ], { env, encoding: 'utf8' });
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`decoding: ${IMAGES}/${IMAGES} images`));
    const trials = readFileSync(join(out, 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((t) => t.type === 'trial');
    expect(trials.map((t) => [t.id, t.status])).toEqual([['ttl-k3-s0', 'ok']]);
    // img2dcm's JPEG is YBR_FULL_422 with 3 samples: a colour dataset, whatever the pictures show.
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'))).toMatchObject({ dicomWindow: 'auto', dicomFrame: null });
  });
});
