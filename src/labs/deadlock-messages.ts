/**
 * What the deadlock lab's main side (deadlock.ts, the watchdog) and its threads (workers/lab-deadlock-entry.ts)
 * share. Progress and counters travel through the wait-for table in shared memory (deadlock-wait-for.ts), not
 * through messages: a thread that is terminated while deadlocked can post nothing.
 *
 *   main ──DeadlockWorkerData (+ gate)──▶ thread: 'ready' … gate opens … take locks, publishing in the table
 *   main (watchdog) ◀──reads the table every watchdogMs── ; thread ──'result'──▶ main, then exits
 */

export const DEADLOCK_STRATEGIES = ['opposite-order', 'ordered', 'timeout', 'double-acquire', 'reentrant', 'never-released', 'released-in-finally'] as const
export type DeadlockStrategy = typeof DEADLOCK_STRATEGIES[number]

/** The two-lock ring strategies (worker i needs locks i and i + 1 mod N); the others are the seed's own deadlock. */
const RING_STRATEGIES: readonly DeadlockStrategy[] = ['opposite-order', 'ordered', 'timeout']
/** Strategies where every worker contends for lock 0: a holder and its waiters. */
const HOLDER_STRATEGIES: readonly DeadlockStrategy[] = ['never-released', 'released-in-finally']

export function isRingStrategy (strategy: DeadlockStrategy): boolean {
  return RING_STRATEGIES.includes(strategy)
}

/**
 * The fewest workers a strategy needs, and why: a ring needs two locks and two threads; a lock left held needs a
 * waiter besides its holder; one thread suffices to take its own lock twice.
 */
export function minWorkers (strategy: DeadlockStrategy): { workers: number, why: string } {
  if (isRingStrategy(strategy)) return { workers: 2, why: 'a ring of two locks needs two threads' }
  if (HOLDER_STRATEGIES.includes(strategy)) return { workers: 2, why: 'a holder and at least one waiter' }
  return { workers: 1, why: 'one thread taking its own lock twice' }
}

/** The 400 for too few workers, naming the strategy's rule; undefined when `workers` is enough. */
export function workersProblem (strategy: DeadlockStrategy, workers: number): string | undefined {
  const { workers: min, why } = minWorkers(strategy)
  if (workers >= min) return undefined
  const oneWorker = DEADLOCK_STRATEGIES.filter((s) => minWorkers(s).workers === 1).join(', ')
  return `body/workers must be >= ${min} for strategy ${strategy} (${why}); ${oneWorker} run with 1`
}

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
  /** reentrant: the one SharedReentrantMutex (owner + count) every worker takes twice */
  reentrantLock: SharedArrayBuffer
  /** the wait-for table */
  table: SharedArrayBuffer
}

export interface DeadlockThreadResult {
  /** ring strategies: held both locks and did its work; the others: took its lock (as often as it meant to) */
  acquired: boolean
  /** reentrant: the error of the unlock by a non-owner (CPython: RuntimeError) */
  unlockError?: string
}

/**
 * The locks `worker` takes, in order (a lock twice when it takes it twice). double-acquire: its own lock i, twice;
 * reentrant: the shared RLock (lock 0), twice; never-released and released-in-finally: lock 0, once.
 * The ring strategies: the two locks of `worker`, in the order it takes them. Worker i needs locks i and (i + 1) mod N: N workers
 * and N locks in a ring. opposite-order and timeout take lock i first, so worker N−1 takes lock N−1 then lock 0
 * while worker 0 takes lock 0 then lock 1 — a cycle. ordered takes the lower-numbered lock first: worker N−1 then
 * wants lock 0 first like worker 0, and the ring is broken.
 */
export function lockOrder (strategy: DeadlockStrategy, worker: number, workers: number): number[] {
  if (strategy === 'double-acquire') return [worker, worker]
  if (strategy === 'reentrant') return [0, 0]
  if (!isRingStrategy(strategy)) return [0]
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
