/**
 * What the I/O probe's thread (workers/io-probe-entry.ts) and the job runner (io-probe.ts) share, kept apart so the
 * thread loads nothing else.
 *
 *   runner: spawn ──workerData──▶ probe thread: 'ready', then rounds, timed only while control[STATE] = COUNTING
 *   runner: window opens → COUNTING; closes → PAUSED; end of job → STOPPED + notify ──▶ thread: 'result', exits
 */
import type { HistogramData } from './outcome-summary-schema.js'
import type { GilShared } from '../sync/gil.js'

/** control[STATE]: what the probe thread is to do now. */
export const ProbeState = {
  /** rounds run but are not timed (the job's workers starting, or their join) */
  PAUSED: 0,
  /** rounds are timed: the job's measured window */
  COUNTING: 1,
  /** finish the round, post the result, exit */
  STOPPED: 2
} as const
export const STATE = 0
export const CONTROL_CELLS = 1

export interface ProbeWorkerData {
  /** the job's emulated GIL in this process; absent with gil: false (no lock at all) */
  gil?: GilShared
  intervalMs: number
  ioMs: number
  /** Int32 cells: [STATE] */
  control: SharedArrayBuffer
}

export type ProbeToRunner =
  | { type: 'ready' }
  | { type: 'result', latency: HistogramData, gilWait: HistogramData }
