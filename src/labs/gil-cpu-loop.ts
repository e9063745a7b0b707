import type { GilLike } from '../sync/gil.js'

/**
 * Pure-Python CPU work, as the GIL lab and test/gil-hold.test.ts run it: rounds of a little arithmetic, each
 * followed by tick() — the eval loop's check for a drop request (CPython checks at a loop's back-edge). The thread
 * holds the lock throughout, except where tick() hands it over.
 */
const ROUND = 1000

function round (seed: number): number {
  let sum = seed
  for (let i = 0; i < ROUND; i++) sum += i & 1
  return sum
}

/** To time each hold: the lock's turn count (it moves when tick() handed over), and where the holds go (ms). */
export interface HoldLog {
  turns: () => number
  holds: number[]
}

/**
 * Spins under the lock until `ms` have passed (or `stop()` says so); returns the rounds done. With a log, every
 * hold that ended in a hand-over is noted: from taking the lock (back) to the tick() that let it go.
 */
export function spinFor (gil: GilLike, ms: number, stop: () => boolean = () => false, log?: HoldLog): number {
  let now = performance.now()
  const until = now + ms
  let heldSince = now
  let rounds = 0
  let sum = 0
  gil.acquire()
  while (now < until && !stop()) {
    sum = round(sum)
    rounds++
    if (log) {
      const turns = log.turns()
      gil.tick()
      if (log.turns() !== turns) {
        log.holds.push(now - heldSince)
        heldSince = performance.now()
      }
    } else {
      gil.tick()
    }
    now = performance.now()
  }
  gil.release()
  return sum >= 0 ? rounds : -1 // the sum is read, so the rounds cannot be optimised away
}

/** Exactly `rounds` rounds under the lock: the same work whatever else runs (the speedup part). */
export function spinRounds (gil: GilLike, rounds: number): void {
  let sum = 0
  gil.acquire()
  for (let done = 0; done < rounds; done++) {
    sum = round(sum)
    gil.tick()
  }
  gil.release()
  if (sum < 0) throw new Error('unreachable: keeps the rounds from being optimised away')
}
