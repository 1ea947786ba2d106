// Datasets by name (e.g. 'pneumoniamnist'): the cache, then a local mirror, then MedMNIST's published file
// with its published MD5.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { TtlError } from '../errors.js';
import { download } from '../fs/download.js';
import { defaultCacheDir, type ResolveOptions } from '../weights/resolve.js';

export interface KnownDataset {
  file: string;
  url: string;
  md5: string;
  license: string;
}

const MEDMNIST = 'https://zenodo.org/records/10519652/files/';
/** Datasets known by name (download URL, checksum, license) for loadDataset and `ttl-torch run --data`. */
export const DATASETS: Record<string, KnownDataset> = {
  pneumoniamnist: { file: 'pneumoniamnist.npz', url: `${MEDMNIST}pneumoniamnist.npz?download=1`, md5: '28209eda62fecd6e6a2d98b1501bb15f', license: 'CC BY 4.0' },
  breastmnist: { file: 'breastmnist.npz', url: `${MEDMNIST}breastmnist.npz?download=1`, md5: '750601b1f35ba3300ea97c75c52ff8f6', license: 'CC BY 4.0' },
  // 3D: binary shape masks of the adrenal gland from CT, at 28^3 and 64^3.
  adrenalmnist3d: { file: 'adrenalmnist3d.npz', url: `${MEDMNIST}adrenalmnist3d.npz?download=1`, md5: 'bbd3c5a5576322bc4cdfea780653b1ce', license: 'CC BY 4.0' },
  adrenalmnist3d_64: { file: 'adrenalmnist3d_64.npz', url: `${MEDMNIST}adrenalmnist3d_64.npz?download=1`, md5: '17721accfe9fb005146a47d33bc54b2f', license: 'CC BY 4.0' },
};

export const isDatasetName = (name: string) => name in DATASETS;

/** Path of a named dataset: CACHE/data/<file>, MIRROR/data/<name>/<file> or MIRROR/data/<file>, else downloaded. */
export async function resolveDataset(name: string, options: ResolveOptions = {}): Promise<string> {
  const known = DATASETS[name];
  if (!known) throw new TtlError('E_BAD_INPUT', `unknown dataset '${name}'; known: ${Object.keys(DATASETS).join(', ')} (or give a path)`);
  const cacheDir = resolve(options.cacheDir ?? defaultCacheDir());
  const cached = join(cacheDir, 'data', known.file);
  if (existsSync(cached)) return cached;
  const mirror = options.mirror ?? process.env.TTL_TORCH_MIRROR;
  if (mirror)
    for (const candidate of [join(mirror, 'data', name, known.file), join(mirror, 'data', known.file)])
      if (existsSync(candidate)) return resolve(candidate);
  if (options.offline ?? process.env.TTL_TORCH_OFFLINE === '1')
    throw new TtlError(
      'E_NO_FILE',
      `dataset ${name} is not available offline. Put ${known.file} in ${join(cacheDir, 'data')} or in MIRROR/data/${name}/ ` +
        `(TTL_TORCH_MIRROR); it is published at ${known.url} (MD5 ${known.md5}, ${known.license})`,
    );
  await download(known.url, cached, ({ md5 }) => {
    if (md5 !== known.md5) throw new TtlError('E_CHECKSUM', `${known.url}: MD5 ${md5} does not match the published ${known.md5}`);
  });
  return cached;
}
