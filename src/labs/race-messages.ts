/**
 * What the race lab's main side (race.ts) and its threads (workers/lab-race-entry.ts) share.
 *
 *   main ──RaceWorkerData (+ gate)──▶ thread: 'ready' … gate opens … loop on RaceCell.COUNTER ──▶ 'result'
 *   main: reads RaceCell.COUNTER after every thread has exited
 */

export const RACE_STRATEGIES = ['unsafe', 'atomic', 'mutex'] as const
export type RaceStrategy = typeof RACE_STRATEGIES[number]

/** Int32 cells of one run's SharedArrayBuffer. */
export const RaceCell = {
  /** the shared counter (or the record's balance) */
  COUNTER: 0,
  /** the SharedMutex of the `mutex` strategy and of the locked record */
  MUTEX: 1,
  /** never notified: Atomics.wait on it with a timeout is a thread's sleep (the record's "database round trip") */
  PAUSE: 2
} as const
export const RACE_CELLS = 3

export type RaceWorkerData =
  | { kind: 'counter', strategy: RaceStrategy, increments: number, memory: SharedArrayBuffer }
  | { kind: 'record', locked: boolean, updates: number, delayMs: number, memory: SharedArrayBuffer }

/** Posted by a thread when its loop is done; times in ms since the epoch (timeOrigin + now, comparable across threads). */
export interface RaceThreadResult {
  startedAt: number
  endedAt: number
}
