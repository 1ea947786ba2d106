// DICOM decoding against an independent reference, on files nobody here wrote: pydicom's own test corpus (shipped
// in its wheel: CT, MR, RT, SC, US; every encoding pydicom tests), variants of those files written by pydicom
// (test/support/tools/dicom_variants.py: LUT sequences, SIGMOID, padding, unused high bits, 12-bit negatives,
// HTJ2K from Debian's OpenJPH), and transcodings made here by dcmtk and GDCM. The reference is pydicom with
// pylibjpeg's decoders (test/support/tools/dicom_reference.py, in the test venv that `bash scripts/setup.sh --test`
// builds); lossless syntaxes must match exactly, lossy ones within their codec's tolerance.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { looksLikeDicom, readDicom, readDicomAsync, TRANSFER_SYNTAXES } from '../../src/data/dicom/index.js';
import { loadDataset } from '../../src/data/index.js';
import { finetune, loadPredictor, type Prediction } from '../../src/index.js';
import { loadDicom } from '../../src/data/dicom/parse.js';
import { describePixels } from '../../src/data/dicom/description.js';
import { storedFrame } from '../../src/data/dicom/pixel-data.js';
import { modalityTransform } from '../../src/data/dicom/modality.js';
import { root } from '../support/paths.js';
import { testVenv, venvPython } from '../support/test-venv.js';

const python = venvPython;
const venv = testVenv;
const tools = join(root, 'test', 'support', 'tools');
const probe = existsSync(python) ? spawnSync(python, ['-c', 'import os, pydicom, pylibjpeg, openjpeg, libjpeg, rle; print(os.path.join(os.path.dirname(pydicom.__file__), "data", "test_files"))'], { encoding: 'utf8' }) : undefined;
const lacking = !probe ? `pydicom and pylibjpeg (no venv at ${venv})` : probe.status !== 0 ? `pydicom and pylibjpeg (${probe.stderr.trim().split('\n').at(-1)})` : undefined;
const corpus = probe?.stdout.trim() ?? '';
const missingTools = ['dcmcjpeg', 'dcmconv', 'gdcmconv', 'ojph_compress'].filter((t) => spawnSync('which', [t]).status !== 0);

interface Reference {
  path: string;
  error?: string;
  rows: number;
  columns: number;
  frames: number;
  samples: number;
  photometric: string;
  bitsStored: number;
  bitsAllocated: number;
  syntax: string;
  stored: string;
  modality?: string;
  voi?: string;
  rgb?: string;
}

const work = mkdtempSync(join(tmpdir(), 'ttl-dicom-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let references: Reference[] = [];

const run = (command: string, ...args: string[]) => {
  const r = spawnSync(command, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${r.stderr || r.stdout}`);
};

beforeAll(() => {
  if (lacking || missingTools.length) return;
  const variants = join(work, 'variants');
  mkdirSync(variants);
  run(python, join(tools, 'dicom_variants.py'), corpus, variants);
  // Syntaxes the corpus lacks, transcoded from its files by dcmtk and GDCM.
  const from = (name: string) => join(corpus, name);
  run('dcmcjpeg', '+el', from('CT_small.dcm'), join(variants, 'dcmtk_jpeg_lossless_p14.dcm')); // 1.2.840.10008.1.2.4.57
  run('dcmcjpeg', '+ee', join(variants, 'unused_high_bits.dcm'), join(variants, 'dcmtk_jpeg_extended_12bit.dcm')); // 4.51, refused
  run('gdcmconv', '--j2k', '--lossy', '-q', '40', from('CT_small.dcm'), join(variants, 'gdcm_j2k_lossy.dcm')); // 4.91
  run('gdcmconv', '--jpegls', from('SC_rgb_small_odd.dcm'), join(variants, 'gdcm_jpegls_rgb.dcm')); // colour JPEG-LS
  // YBR_FULL left in YBR by the codec (JPEG-LS, RLE, JPEG 2000 without a component transform): converted here.
  for (const [flag, name] of [['--jpegls', 'jpegls'], ['--rle', 'rle'], ['--j2k', 'j2k']])
    run('gdcmconv', flag, from('examples_ybr_color.dcm'), join(variants, `gdcm_ybr_full_${name}.dcm`));
  run('dcmconv', '+td', from('MR_small.dcm'), join(variants, 'dcmtk_deflated.dcm'));
  // A PACS export names files by SOP Instance UID, without an extension.
  copyFileSync(from('CT_small.dcm'), join(variants, '1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322'));
  const files = [
    ...readdirSync(corpus).filter((f) => f.endsWith('.dcm')).map(from),
    ...readdirSync(variants).map((f) => join(variants, f)),
  ];
  const r = spawnSync(python, [join(tools, 'dicom_reference.py'), ...files], { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`dicom_reference.py failed: ${r.stderr}`);
  references = JSON.parse(r.stdout) as Reference[];
}, 120_000);

const int32 = (b64: string) => {
  const bytes = Buffer.from(b64, 'base64');
  return new Int32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
};
const float64 = (b64: string) => {
  const bytes = Buffer.from(b64, 'base64');
  return new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
};
/**
 * Files pydicom decodes and ttl-torch refuses (see the refusals): 1-bit bitmaps and 32-bit grids (segmentations, RT
 * dose: not images to classify), 12-bit JPEG (Process 4), which no JavaScript or WebAssembly decoder reads yet, and
 * a file whose data set is implicit VR under an explicit VR transfer syntax (pydicom guesses again; dcmtk's dcmdump
 * refuses it too).
 */
const refusedHere = (r: Reference) => r.bitsAllocated === 1 || r.bitsAllocated === 32 ||
  (r.syntax === '1.2.840.10008.1.2.4.51' && r.bitsStored > 8) || basename(r.path) === 'SC_rgb_jpeg.dcm';
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>, skip?: (i: number) => boolean) => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) if (!skip?.(i)) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

/** Largest difference in stored levels the reference may show: 0 for lossless syntaxes. */
function tolerance(syntax: string, photometric: string): number {
  const ts = TRANSFER_SYNTAXES[syntax];
  if (!ts.lossy) return 0;
  // JPEG's IDCT and chroma upsampling are not bit-exact between libjpeg (reference) and libjpeg-turbo (here).
  if (ts.codec === 'jpeg-baseline' || ts.codec === 'jpeg-extended') return 3;
  // Lossy JPEG 2000: OpenJPEG on both sides, but the irreversible transform's rounding is not specified exactly.
  if (ts.codec === 'jpeg2000' || ts.codec === 'htj2k') return photometric === 'MONOCHROME2' ? 1 : 2;
  return 0; // JPEG-LS near-lossless decodes exactly (the error bound is the encoder's)
}

/** Our stored values of every frame, concatenated. */
function ourStored(path: string) {
  const dicom = loadDicom(path);
  const d = describePixels(dicom);
  const frames = Array.from({ length: d.frames }, (_, f) => storedFrame(dicom, d, f));
  const all = new Int32Array(frames.reduce((n, f) => n + f.length, 0));
  frames.reduce((at, f) => (all.set(f, at), at + f.length), 0);
  return { dicom, d, stored: all, frames };
}

describe.skipIf(!!lacking && !process.env.CI)('DICOM decoding against pydicom + pylibjpeg', () => {
  it('the reference and the transcoding tools are installed', () => {
    expect(lacking, `the test venv lacks ${lacking}: run bash scripts/setup.sh --test`).toBeUndefined();
    expect(missingTools, 'Debian packages dcmtk, libgdcm-tools and openjph-tools: bash scripts/setup.sh --test').toEqual([]);
  });

  it('every transfer syntax decodes to the reference: stored values, modality values, colour', () => {
    const decoded = new Map<string, string[]>();
    for (const ref of references.filter((r) => !r.error && !refusedHere(r))) {
      const name = basename(ref.path);
      const { d, dicom, stored, frames } = ourStored(ref.path);
      const tol = tolerance(ref.syntax, ref.photometric);
      expect({ name, rows: d.rows, columns: d.columns, frames: d.frames }).toEqual({ name, rows: ref.rows, columns: ref.columns, frames: ref.frames });
      if (ref.samples === 1 && ref.photometric !== 'PALETTE COLOR') {
        expect({ name, diff: maxDiff(stored, int32(ref.stored)) }).toEqual({ name, diff: expect.toSatisfy((x: number) => x <= tol) });
        const toModality = modalityTransform(dicom, d);
        const modality = new Float64Array(stored.length);
        frames.forEach((f, k) => modality.set(toModality(f), k * f.length));
        // Float32 modality values: HU to a few thousand carry ~1e-4 of rounding.
        const slope = float64(ref.modality!).reduce((m, v) => Math.max(m, Math.abs(v)), 1) * 1e-6;
        expect({ name, diff: maxDiff(modality, float64(ref.modality!)) }).toEqual({ name, diff: expect.toSatisfy((x: number) => x <= tol * 10 + slope) });
      } else {
        // Colour: RGB in [0, 1] here, in stored levels there (YBR converted by pydicom, palettes looked up).
        const image = readDicom(ref.path);
        const max = ref.photometric === 'PALETTE COLOR' ? 65535 : 2 ** ref.bitsStored - 1;
        const ours = Float64Array.from(image.pixels, (v) => v * max);
        const theirs = float64(ref.rgb ?? Buffer.from(Float64Array.from(int32(ref.stored)).buffer).toString('base64'));
        // A YBR conversion rounds to whole levels there and not here: half a level more; and [0, 1] is float32.
        const allowed = tol + (ref.photometric.startsWith('YBR') ? 0.5 : 0) + max * 1e-7;
        expect({ name, diff: maxDiff(ours, theirs) }).toEqual({ name, diff: expect.toSatisfy((x: number) => x <= allowed) });
      }
      decoded.set(ref.syntax, [...(decoded.get(ref.syntax) ?? []), name]);
    }
    // Every syntax ttl-torch decodes was compared on at least one file; JPEG Extended is only decoded at 8 bits,
    // and none of the corpus's 8-bit files uses it.
    const untested = Object.keys(TRANSFER_SYNTAXES).filter((uid) => !decoded.has(uid));
    console.log(`DICOM files equal to pydicom + pylibjpeg: ${[...decoded.values()].flat().length}, by syntax: ` +
      [...decoded].map(([uid, files]) => `${TRANSFER_SYNTAXES[uid].name} ${files.length}`).join('; '));
    expect(untested.map((uid) => TRANSFER_SYNTAXES[uid].name)).toEqual(['JPEG Extended (Process 2 & 4)', 'High-Throughput JPEG 2000 with RPCL Options (Lossless Only)']);
  });

  it("the file's VOI (windows with each VOI LUT Function, VOI LUT Sequence) as pydicom applies it", () => {
    const withVoi = references.filter((r) => r.voi && !r.error && !refusedHere(r));
    expect(withVoi.map((r) => basename(r.path))).toEqual(expect.arrayContaining(['voi_lut_sequence.dcm', 'voi_sigmoid.dcm', 'brain_window.dcm', 'MR_small.dcm']));
    for (const ref of withVoi) {
      const image = readDicom(ref.path, { window: 'stored' });
      const name = basename(ref.path);
      const padded = name === 'pixel_padding.dcm' ? (i: number) => image.pixels[i] === 0 : undefined;
      const tol = tolerance(ref.syntax, ref.photometric) > 0 ? 0.01 : 1e-6; // lossy: a level or two over the window
      expect({ name, diff: maxDiff(image.pixels, float64(ref.voi!), padded) }).toEqual({ name, diff: expect.toSatisfy((x: number) => x <= tol) });
    }
  });

  it("'auto' keeps a stored window unless it clamps most of the image; padding is 0 and outside every range", () => {
    const brain = references.find((r) => basename(r.path) === 'brain_window.dcm')!.path;
    const stored = readDicom(brain, { window: 'stored' });
    const clamped = stored.pixels.filter((v) => v === 0 || v === 1).length / stored.pixels.length;
    const auto = readDicom(brain);
    console.log(`CT_small under its brain window (40/100): ${(100 * clamped).toFixed(1)}% of pixels clamped; 'auto' uses ${auto.windows![0].source}`);
    expect(clamped).toBeGreaterThan(0.5);
    expect(auto.windows![0]).toMatchObject({ source: 'minmax' });
    expect(readDicom(join(corpus, 'MR_small.dcm')).windows![0]).toMatchObject({ source: 'window', fn: 'LINEAR' });
    expect(readDicom(brain, { window: 'bone' }).windows![0]).toEqual({ source: 'given', range: [-450, 1050] });

    const padded = references.find((r) => basename(r.path) === 'pixel_padding.dcm')!.path;
    const { d, stored: values } = ourStored(padded);
    const padValue = Math.min(...values);
    const image = readDicom(padded, { window: 'minmax' });
    const padding = [...values.keys()].filter((i) => values[i] === padValue);
    expect(padding.length).toBeGreaterThan(0);
    expect(padding.every((i) => image.pixels[i] === 0)).toBe(true);
    // The range starts above the padding value: the darkest real pixel is 0, not lifted by the padding.
    expect(image.windows![0].range[0]).toBeGreaterThan(padValue);
    expect(d.frames).toBe(1);
  });

  it('multi-frame objects give every frame, or the one asked for; async reads the same', async () => {
    const cine = join(corpus, 'examples_ybr_color.dcm');
    const all = readDicom(cine);
    expect(all).toMatchObject({ frames: 30, channels: 3, width: 320, height: 240 });
    const plane = all.width * all.height * 3;
    const frame7 = readDicom(cine, { frame: 7 });
    expect(frame7.frames).toBe(1);
    expect(maxDiff(frame7.pixels, all.pixels.subarray(7 * plane, 8 * plane))).toBe(0);
    expect(maxDiff((await readDicomAsync(cine, { frame: 7 })).pixels, frame7.pixels)).toBe(0);
    expect(() => readDicom(cine, { frame: 30 })).toThrow(`${cine}: frame 30 was asked for; the file has 30 (0 to 29)`);
  });

  /** Two classes of six copies of a two-frame colour file, named as a PACS names files (no extension). */
  const cineFolder = (name: string) => {
    const folder = join(work, name);
    for (const label of ['a', 'b']) {
      mkdirSync(join(folder, label), { recursive: true });
      for (let i = 0; i < 6; i++) copyFileSync(join(corpus, 'SC_rgb_rle_2frame.dcm'), join(folder, label, String(i)));
    }
    return folder;
  };

  it('a dataset of multi-frame files needs a frame policy, and skipBad never turns every file into none', async () => {
    const folder = cineFolder('cine');
    const options = { size: 16, fractions: { val: 0.25, test: 0.25 } };
    await expect(loadDataset(folder, options)).rejects.toMatchObject({
      code: 'E_BAD_IMAGE', message: expect.stringMatching(/\(0028,0008\) NumberOfFrames is 2: a multi-frame object needs a frame policy for a 2D network \(dicom\.frame: 'middle', 'all' or a frame number, --dicom-frame\)/),
    });
    await expect(loadDataset(folder, { ...options, skipBad: true })).rejects.toMatchObject({ code: 'E_BAD_INPUT', message: expect.stringMatching(/cine: none of the \d+ train images could be decoded \(skipBad skipped them all\); a\/\d: \(0028,0008\)/) });
    await expect(loadDataset(folder, { ...options, dicom: { frame: -1 } })).rejects.toMatchObject({ code: 'E_BAD_ARGUMENT', message: "Expected 'middle', 'all', 'volume' or a frame number >= 0 for dicom.frame but received -1 of type number" });
    const { dataset } = await loadDataset(folder, { ...options, size: 32, dicom: { frame: 'middle' } });
    expect(dataset.kind).toBe('rgb');
    expect(dataset.train.labels.length + dataset.val.labels.length + dataset.test.labels.length).toBe(12);
    // The checkpoint keeps the policy: its predictor reads the same multi-frame file the way training did.
    const checkpoint = join(work, 'cine.safetensors');
    await finetune({ model: 'squeezenet1_1', strategy: { kind: 'ttl', cutoff: 3 }, data: dataset, imageSize: 32, epochs: 1, batchSize: 4, device: 'cpu', checkpoint });
    const predictor = await loadPredictor(checkpoint);
    expect(predictor.info.dicom).toEqual({ frame: 'middle' });
    const [prediction] = (await predictor.predictBatch([join(folder, 'a', '0')])) as Prediction[];
    expect(prediction.probabilities).toHaveLength(2);
    await predictor.close();
    // The two frames differ, so which one a policy picks matters.
    const second = readDicom(join(corpus, 'SC_rgb_rle_2frame.dcm'), { frame: 1 });
    const first = readDicom(join(corpus, 'SC_rgb_rle_2frame.dcm'), { frame: 0 });
    expect(maxDiff(second.pixels, first.pixels)).toBeGreaterThan(0);
  });

  it("'all' frames: every frame a sample, one file's frames in one split; a predictor averages a file's frames", async () => {
    const folder = cineFolder('cine-all');
    const { dataset } = await loadDataset(folder, { size: 32, fractions: { val: 0.25, test: 0.25 }, dicom: { frame: 'all' }, cache: false });
    const counts = (['train', 'val', 'test'] as const).map((s) => dataset[s].labels.length);
    expect(counts.reduce((a, b) => a + b)).toBe(24);
    // Frames of one file stay together: every split holds whole files (an even count), none of them empty.
    for (const n of counts) expect(n % 2 === 0 && n > 0, `split sizes ${counts}`).toBe(true);
    const stride = 32 * 32 * 3;
    const train = dataset.train.images;
    const framesDiffer = Array.from({ length: counts[0] / 2 }, (_, f) => maxDiff(train.subarray(2 * f * stride, (2 * f + 1) * stride), train.subarray((2 * f + 1) * stride, (2 * f + 2) * stride)));
    expect(Math.min(...framesDiffer)).toBeGreaterThan(0);
    const checkpoint = join(work, 'cine-all.safetensors');
    await finetune({ model: 'squeezenet1_1', strategy: { kind: 'ttl', cutoff: 3 }, data: dataset, imageSize: 32, epochs: 1, batchSize: 4, device: 'cpu', checkpoint });
    const predictor = await loadPredictor(checkpoint);
    expect(predictor.info.dicom).toEqual({ frame: 'all' });
    const file = join(folder, 'a', '0');
    const [whole] = (await predictor.predictBatch([file])) as Prediction[];
    const frames = train.subarray(0, 2 * stride);  // decoded as the dataset decodes: the same file's two frames
    const perFrame = (await predictor.predictBatch([0, 1].map((k) => ({ data: frames.subarray(k * stride, (k + 1) * stride), shape: [32, 32, 3] })))) as Prediction[];
    const mean = perFrame[0].probabilities.map((p, k) => (p + perFrame[1].probabilities[k]) / 2);
    expect(maxDiff(whole.probabilities, mean)).toBeLessThan(1e-6);
    expect(maxDiff(((await predictor.predict(file)) as Prediction).probabilities, mean)).toBeLessThan(1e-6);
    await predictor.close();
  });

  it('what cannot be an image to classify is refused with a coded error naming the file and the tag', () => {
    const refusals: [string, RegExp][] = [
      [join(corpus, 'liver_1frame.dcm'), /\(0028,0100\) BitsAllocated is 1: a bitmap \(a segmentation or overlay object\)/],
      [join(corpus, 'rtdose.dcm'), /\(0028,0100\) BitsAllocated is 32: an RT dose grid/],
      [join(corpus, 'SC_rgb_rle_32bit.dcm'), /\(0028,0100\) BitsAllocated is 32: a parametric map or float image/],
      [join(corpus, 'test-SR.dcm'), /no \(7FE0,0010\) PixelData: not an image \(SOPClassUID 1\.2\.840\.10008\.5\.1\.4\.1\.1\.88\.\d+\)/],
      [join(corpus, 'MR_truncated.dcm'), /unreadable DICOM/],
      [join(corpus, 'SC_rgb_jpeg.dcm'), /unreadable DICOM \(dicomParser:parseDicomDataSetExplicit: buffer overrun\)/],
      [join(work, 'variants', 'dcmtk_jpeg_extended_12bit.dcm'), /JPEG Extended \(Process 2 & 4\): frame 1 of 1 cannot be decoded \(no decoder for JPEG Extended \(Process 2 & 4\) with 12 bits stored: transcode/],
      [join(root, 'package.json'), /not DICOM: no DICM preamble at byte 128/],
    ];
    for (const [path, message] of refusals) {
      expect(() => readDicom(path), path).toThrow(expect.objectContaining({ code: 'E_BAD_IMAGE', message: expect.stringMatching(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: ${message.source}`)) }));
    }
  });

  it('recognises DICOM by content: extension-less exports and data sets without a preamble', () => {
    const byUid = join(work, 'variants', '1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322');
    const dicomdir = join(corpus, 'dicomdirtests', '77654033', 'CR1', '6154');
    const noPreamble = join(corpus, 'ExplVR_BigEndNoMeta.dcm');
    for (const path of [byUid, dicomdir, noPreamble, join(corpus, 'MR_small_implicit.dcm')]) expect(looksLikeDicom(readFileSync(path)), path).toBe(true);
    expect(looksLikeDicom(readFileSync(join(root, 'package.json')))).toBe(false);
    expect(readDicom(byUid).width).toBe(128);
    expect(readDicom(readFileSync(byUid)).pixels).toEqual(readDicom(join(corpus, 'CT_small.dcm')).pixels);
  });
});
