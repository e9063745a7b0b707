/**
 * What the race lab's main side (race.ts) and its threads (workers/lab-race-entry.ts) share.
 *
 *   main ──RaceWorkerData (+ gate)──▶ thread: 'ready' … gate opens … loop on RaceCell.COUNTER ──▶ 'result'
 *   main: reads RaceCell.COUNTER after every thread has exited
 */

export const RACE_STRATEGIES = ['unsafe', 'unsafe-call', 'atomic', 'mutex'] as const
export type RaceStrategy = typeof RACE_STRATEGIES[number]

/** Int32 cells of one run's SharedArrayBuffer. */
export const RaceCell = {
  /** the shared counter (or the record's balance) */
  COUNTER: 0,
  /** the SharedMutex of the `mutex` strategy and of the locked record */
  MUTEX: 1,
  /** never notified: Atomics.wait on it with a timeout is a thread's sleep (the record's "database round trip") */
  PAUSE: 2,
  /** never set: without the GIL, `unsafe-call`'s call still checks it on entry, as free-threaded CPython checks its eval breaker */
  BREAKER: 3
} as const
export const RACE_CELLS = 4

/** With `gil: true`: the run's emulated GIL (src/sync/gil.ts), one buffer for every thread of the run. */
export interface RaceGil {
  buffer: SharedArrayBuffer
  switchIntervalMs: number
}

export type RaceWorkerData =
  | { kind: 'counter', strategy: RaceStrategy, increments: number, memory: SharedArrayBuffer, gil?: RaceGil }
  | { kind: 'record', locked: boolean, updates: number, delayMs: number, memory: SharedArrayBuffer, gil?: RaceGil }

/** Posted by a thread when its loop is done; times in ms since the epoch (timeOrigin + now, comparable across threads). */
export interface RaceThreadResult {
  startedAt: number
  endedAt: number
}
