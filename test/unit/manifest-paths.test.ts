// CSV manifests may not make the loader read files outside the manifest's folder unless asked to:
// a downloaded manifest naming ../../etc/passwd or /home/... is refused, naming the row.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../../src/data/index.js';
import { loadSegmentationManifest } from '../../src/data/segmentation.js';
import { checkConfig } from '../../src/run/config.js';

const root = mkdtempSync(join(tmpdir(), 'ttl-paths-'));
const manifest = (rows: string[]) => {
  const path = join(root, 'set', 'labels.csv');
  writeFileSync(path, ['file,label,split', ...rows].join('\n'));
  return path;
};

describe('manifest paths outside the CSV folder', () => {
  beforeAll(async () => {
    mkdirSync(join(root, 'set', 'imgs'), { recursive: true });
    mkdirSync(join(root, 'elsewhere'));
    for (const [dir, n] of [['set/imgs', 4], ['elsewhere', 1]] as const)
      for (let i = 0; i < n; i++)
        await sharp(Buffer.alloc(64, 40 * i), { raw: { width: 8, height: 8, channels: 1 } }).png().toFile(join(root, dir, `${i}.png`));
  });
  const inside = ['imgs/0.png,a,train', 'imgs/1.png,b,train', 'imgs/2.png,a,val', 'imgs/3.png,b,test'];

  it.each([
    ['../../etc/passwd', "labels.csv line 3: file '../../etc/passwd' is outside the manifest's folder"],
    ['/etc/passwd', "labels.csv line 3: file '/etc/passwd' is outside the manifest's folder"],
    ['imgs/../../elsewhere/0.png', "labels.csv line 3: file 'imgs/../../elsewhere/0.png' is outside the manifest's folder"],
  ])('%s is refused by default', async (file, message) => {
    const path = manifest([inside[0], `${file},b,train`, ...inside.slice(1)]);
    await expect(loadDataset(path, { size: 8 })).rejects.toMatchObject({ code: 'E_BAD_INPUT', message: expect.stringContaining(message) });
    await expect(loadDataset(path, { size: 8 })).rejects.toThrow('use allowOutsidePaths (--allow-outside-paths) to read files outside it');
  });

  it('allowOutsidePaths reads them', async () => {
    const path = manifest([...inside, `${join(root, 'elsewhere', '0.png')},a,train`, '../elsewhere/0.png,b,train']);
    const { dataset } = await loadDataset(path, { size: 8, allowOutsidePaths: true });
    expect(dataset.train.labels.length).toBe(4);
  });

  it('is a run option, off unless set to true', () => {
    expect(checkConfig({}).allowOutsidePaths).toBe(false);
    expect(checkConfig({ allowOutsidePaths: 'yes' }).allowOutsidePaths).toBe(false);
    expect(checkConfig({ allowOutsidePaths: true }).allowOutsidePaths).toBe(true);
  });
});

describe('manifest files', () => {
  it('a missing or unreadable manifest is E_NO_FILE naming it, not a raw ENOENT / EISDIR', async () => {
    await expect(loadSegmentationManifest(join(root, 'nope.csv'))).rejects.toMatchObject({ code: 'E_NO_FILE', message: expect.stringContaining(`cannot read manifest ${join(root, 'nope.csv')}: ENOENT`) });
    mkdirSync(join(root, 'dir.csv'));
    await expect(loadSegmentationManifest(join(root, 'dir.csv'))).rejects.toMatchObject({ code: 'E_NO_FILE', message: expect.stringContaining('EISDIR') });
  });
});
