/**
 * A small deterministic generator (mulberry32) of numbers in [0, 1): the same sequence for a seed
 * on every machine, so that a demo lands the same tables every time and a generated test case
 * can be named by its seed.
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
