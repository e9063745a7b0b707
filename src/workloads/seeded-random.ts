/**
 * Deterministic randomness for workloads: the same (seed, task index) gives the same numbers in every mode,
 * thread and process, which is what makes runs comparable and reproducible.
 */

/** Mixes the job seed and a task index into one 32-bit state (a splitmix-style finaliser). */
function mix (seed: number, index: number): number {
  let h = (seed ^ Math.imul(index + 0x9e3779b9, 0x85ebca6b)) >>> 0
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d)
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b)
  return (h ^ (h >>> 16)) >>> 0
}

/** A mulberry32 generator of floats in [0, 1) for one task. */
export function seededRandom (seed: number, index: number): () => number {
  let state = mix(seed, index)
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A standard normal sample (Box–Muller) from a uniform generator. */
export function standardNormal (random: () => number): number {
  const u = 1 - random()
  const v = random()
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
}
