/**
 * What the deadlock lab's main side (deadlock.ts, the watchdog) and its threads (workers/lab-deadlock-entry.ts)
 * share. Progress and counters travel through the wait-for table in shared memory (deadlock-wait-for.ts), not
 * through messages: a thread that is terminated while deadlocked can post nothing.
 *
 *   main ──DeadlockWorkerData (+ gate)──▶ thread: 'ready' … gate opens … take locks, publishing in the table
 *   main (watchdog) ◀──reads the table every watchdogMs── ; thread ──'result'──▶ main, then exits
 */

export const DEADLOCK_STRATEGIES = ['opposite-order', 'ordered', 'timeout'] as const
export type DeadlockStrategy = typeof DEADLOCK_STRATEGIES[number]

export interface DeadlockWorkerData {
  worker: number
  workers: number
  strategy: DeadlockStrategy
  holdMs: number
  tryLockMs: number
  maxAttempts: number
  seed: number
  /** one SharedMutex cell per lock */
  locks: SharedArrayBuffer
  /** the wait-for table */
  table: SharedArrayBuffer
}

export interface DeadlockThreadResult {
  /** held both locks and did its work */
  acquired: boolean
}

/**
 * The two locks of `worker`, in the order it takes them. Worker i needs locks i and (i + 1) mod N: N workers
 * and N locks in a ring. opposite-order and timeout take lock i first, so worker N−1 takes lock N−1 then lock 0
 * while worker 0 takes lock 0 then lock 1 — a cycle. ordered takes the lower-numbered lock first: worker N−1 then
 * wants lock 0 first like worker 0, and the ring is broken.
 */
export function lockOrder (strategy: DeadlockStrategy, worker: number, workers: number): [number, number] {
  const own = worker
  const next = (worker + 1) % workers
  return strategy === 'ordered' ? [Math.min(own, next), Math.max(own, next)] : [own, next]
}

/**
 * The timeout strategy's back-off after its k-th failed attempt: uniform in [0, (holdMs + tryLockMs) × 2^min(k−1, 3)].
 * Random, so two workers that failed together do not retry together; growing, so that one of them soon waits long
 * enough for the other to take both locks.
 */
export function backoffMs (attempt: number, holdMs: number, tryLockMs: number, random: () => number): number {
  return random() * (holdMs + tryLockMs) * 2 ** Math.min(attempt - 1, 3)
}
