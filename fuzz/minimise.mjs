// Delta debugging on the case's main file: drop ever smaller chunks while the failure class stays the
// same, so a regression case is a few bytes, not a megabyte.
import { rmSync } from 'node:fs';
import { runTarget, writeCase } from './campaign.mjs';

const MAX_TRIES = 60;

export async function minimise(format, c, outcome) {
  const main = c.files.find((f) => f.path === c.entry) ?? c.files.find((f) => /\.(csv|jsonl)$/.test(f.path));
  if (!main || main.data.length > 4 * 1024 * 1024) return c;
  const still = async (data) => {
    const dir = writeCase({ ...c, files: c.files.map((f) => (f === main ? { ...f, data } : f)) });
    try {
      return (await runTarget(format, dir, c.entry)).outcome === outcome;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  let data = main.data;
  let tries = 0;
  for (let chunk = data.length >> 1; chunk >= 1 && tries < MAX_TRIES; chunk >>= 1) {
    for (let at = 0; at < data.length && tries < MAX_TRIES; tries++) {
      const smaller = Buffer.concat([data.subarray(0, at), data.subarray(at + chunk)]);
      if (await still(smaller)) data = smaller;
      else at += chunk;
    }
  }
  return { ...c, files: c.files.map((f) => (f === main ? { ...f, data } : f)) };
}
