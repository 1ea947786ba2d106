// Child process: reads one fuzz case with the real reader of its format and prints one JSON line:
// { outcome: 'success' | 'clean' | 'crash', code?, message?, maxRssMb }. A clean error is a TtlError with a
// code whose message names the file; anything else that escapes is a crash. Hangs and memory blow-ups
// are judged by the parent (timeout, RSS watchdog, V8 heap limit).
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

const dist = new URL('../dist/', import.meta.url);
const load = (path) => import(new URL(path, dist).href);
const [format, dir, entry] = process.argv.slice(2);
const path = join(dir, entry);

const READERS = {
  async safetensors() {
    const { readSafetensors } = await load('weights/safetensors.js');
    const { checkTensors } = await load('weights/check.js');
    checkTensors([...readSafetensors(path).tensors.values()], path);
  },
  async pth() {
    const { readPth } = await load('weights/pth.js');
    const { checkTensors } = await load('weights/check.js');
    checkTensors(await readPth(path), path);
  },
  async npz() {
    const { readMedMNIST } = await load('data/medmnist.js');
    readMedMNIST(path);
  },
  async npy() {
    const { parseNpy } = await load('data/npy.js');
    parseNpy(readFileSync(path), path);
  },
  async nifti() {
    const { readNifti, scaled } = await load('data/volumes/nifti.js');
    scaled(readNifti(path));
  },
  async nrrd() {
    const { readVolumeFile } = await load('data/volumes/index.js');
    readVolumeFile(path);
  },
  async dicom() {
    // The path datasets and services take: decoded on a worker thread, within a time budget.
    const { readDicomAsync } = await load('data/dicom/index.js');
    await readDicomAsync(path);
  },

  async image() {
    const { channelsOf, decodeImage, isHighDepth } = await load('data/decode.js');
    const channels = await channelsOf(path);
    await decodeImage(path, 32, channels, await isHighDepth(path));
  },
  async csv() {
    const { loadDataset } = await load('data/load.js');
    await loadDataset(path, { size: 16, concurrency: 2 });
  },
  async rundir() {
    const { readSavedConfig } = await load('run/config.js');
    const { readJournal, repairJournal } = await load('run/journal.js');
    const { writeReports } = await load('run/report.js');
    const journal = join(path, 'journal.jsonl');
    const config = readSavedConfig(path);
    readJournal(journal, () => {});
    repairJournal(journal);
    readJournal(journal, () => {});
    writeReports(path, config);
  },
};
// Compressed DICOM goes through the same reader; only the generator differs.
READERS['dicom-codecs'] = READERS.dicom;
// NRRD and MetaImage share the volume files' door, which picks the reader by extension.
READERS.metaimage = READERS.nrrd;

function report(result) {
  const maxRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
  process.stdout.write(`\n${JSON.stringify({ ...result, maxRssMb })}\n`);
}

const reader = READERS[format.startsWith('pth') ? 'pth' : format];
try {
  await reader();
  report({ outcome: 'success' });
} catch (e) {
  const named = typeof e?.message === 'string' && e.message.includes(basename(path));
  if (e?.name === 'TtlError' && typeof e.code === 'string' && named) report({ outcome: 'clean', code: e.code, message: e.message });
  else report({ outcome: 'crash', code: e?.code, message: `${e?.name}: ${e?.message}`, why: e?.name === 'TtlError' ? 'the message does not name the file' : 'not a TtlError', stack: e?.stack?.split('\n').slice(0, 6).join('\n') });
}
process.exit(0);
