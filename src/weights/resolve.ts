// Finds a named checkpoint: the cache, then a local mirror (air-gapped sites), then its official URL.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { TtlError } from '../errors.js';
import { getModelCard, type WeightFile, type WeightsCard } from '../registry.js';
import { download } from '../fs/download.js';

export interface ResolveOptions {
  /** Cache directory (default $TTL_TORCH_CACHE or ~/.cache/ttl-torch). */
  cacheDir?: string;
  /** Local mirror directory (default $TTL_TORCH_MIRROR); files are looked up in MIRROR/weights and MIRROR. */
  mirror?: string;
  /** Never download (default: $TTL_TORCH_OFFLINE=1). */
  offline?: boolean;
  /** Aborts a download in progress (E_CANCELLED); the partial file is removed. */
  signal?: AbortSignal;
}

export interface ResolvedWeights {
  path: string;
  file: WeightFile;
  weights: WeightsCard;
  source: 'cache' | 'mirror' | 'download';
}

/** $TTL_TORCH_CACHE, else ~/.cache/ttl-torch. */
export function defaultCacheDir(): string {
  return resolve(process.env.TTL_TORCH_CACHE ?? join(homedir(), '.cache', 'ttl-torch'));
}

/** The SHA-256 of a file as lowercase hex, streamed. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Throws E_CHECKSUM unless the digest matches the card's full SHA-256 or its prefix. */
export function checkDigest(file: WeightFile, digest: string, where: string): void {
  const expected = file.sha256 ?? file.sha256Prefix;
  if (expected && !digest.startsWith(expected))
    throw new TtlError('E_CHECKSUM', `${where}: SHA-256 ${digest} does not match the expected ${expected}`);
}

/** `model:tag` (e.g. resnet50:imagenet) -> the model card's weights entry. */
export function weightsCard(model: string, tag: string): WeightsCard {
  const card = getModelCard(model);
  const weights = card.weights[tag];
  if (!weights)
    throw new TtlError(
      'E_UNKNOWN_WEIGHTS',
      `no weights '${tag}' for ${model}; known: ${Object.keys(card.weights).join(', ') || 'none'}`,
    );
  return weights;
}

/**
 * A card's named weights as a local file: the cache, then the mirror ($TTL_TORCH_MIRROR), then the official URL
 * with SHA-256 verification (never with TTL_TORCH_OFFLINE=1, which names the file to put where instead).
 */
export async function resolveWeights(model: string, tag: string, options: ResolveOptions = {}): Promise<ResolvedWeights> {
  const weights = weightsCard(model, tag);
  const cacheDir = resolve(options.cacheDir ?? defaultCacheDir());
  const mirror = options.mirror ?? process.env.TTL_TORCH_MIRROR;
  const offline = options.offline ?? process.env.TTL_TORCH_OFFLINE === '1';

  for (const file of weights.files) {
    const cached = join(cacheDir, 'weights', file.file);
    if (existsSync(cached)) return { path: cached, file, weights, source: 'cache' };
  }
  if (mirror) {
    for (const file of weights.files) {
      for (const candidate of [join(mirror, 'weights', file.file), join(mirror, file.file)]) {
        if (!existsSync(candidate)) continue;
        if (file.sha256) checkDigest(file, await sha256File(candidate), candidate);
        return { path: resolve(candidate), file, weights, source: 'mirror' };
      }
    }
  }
  const downloadable = weights.files.find((f) => f.url);
  if (downloadable && !offline) {
    const target = join(cacheDir, 'weights', downloadable.file);
    await download(downloadable.url!, target, ({ sha256 }) => checkDigest(downloadable, sha256, downloadable.url!), options.signal);
    return { path: target, file: downloadable, weights, source: 'download' };
  }
  const names = weights.files.map((f) => f.file).join(' or ');
  const urls = weights.files.filter((f) => f.url).map((f) => f.url);
  throw new TtlError(
    'E_WEIGHTS_NOT_FOUND',
    `weights ${model}:${tag} are not available offline. Put ${names} in ${join(cacheDir, 'weights')}` +
      ` or in a mirror directory named by TTL_TORCH_MIRROR (as MIRROR/weights/<file>)` +
      (urls.length ? `; it can be downloaded from ${urls.join(', ')}` : '; this checkpoint has no public URL'),
  );
}
