// A seeded PRNG (mulberry32) so that every fuzz case can be regenerated from (seed, index).
export function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n) => Math.floor(next() * n);
  const pick = (list) => list[int(list.length)];
  const chance = (p) => next() < p;
  return { next, int, pick, chance };
}

/** Integers that break size arithmetic: zero, negatives, powers of two, beyond 2^31, 2^32 and 2^53. */
export const INTERESTING = [0, 1, -1, 2, 7, 255, 256, 65535, 65536, 30000, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 1e8, 1e9, 2 ** 40, 2 ** 53, -(2 ** 31)];
