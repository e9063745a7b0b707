/**
 * What the GIL lab's main side (gil.ts) and its threads (workers/lab-gil-entry.ts) share. One set of threads runs
 * every part, step by step; each step has its own emulated GIL (src/sync/gil.ts), or none for the free-threaded
 * comparison, and gives each thread a role or none.
 *
 *   main ──GilLabThreadData (+ gate)──▶ thread: 'ready' … gate opens …
 *   thread: for each step: barrier (every thread done with the step before) ──▶ its role, or nothing
 *   thread ──▶ 'result' (one entry per step) ──▶ exits; main: each part's figures from its steps
 */
import type { GilShared } from '../sync/gil.js'

/** Cells of a step's control buffer (Int32). */
export const GilLabCell = {
  /** 1 = the CPU threads of the step stop spinning (set by the step's I/O or hash thread when it is done) */
  STOP: 0,
  /** never notified: Atomics.wait on it with a timeout is a thread's sleep (the I/O, the hasher's idle phase) */
  PAUSE: 1
} as const
export const GIL_LAB_CELLS = 2

/** The release part's phases, in the order the hasher runs them. */
export const RELEASE_PHASES = ['alone', 'released', 'held', 'pure'] as const
export type ReleasePhase = typeof RELEASE_PHASES[number]

export type GilLabRole =
  /** spin under the lock for `ms`, or until STOP; `calibrates`: publish the rounds done where `work` reads them */
  | { role: 'spin', ms?: number, calibrates?: true }
  /** do as many rounds of the CPU loop as the calibration did, under the lock (speedup) */
  | { role: 'work' }
  /** `rounds` I/O rounds: hold the lock, wait ioMs without it, take it back (convoy); then STOP */
  | { role: 'io', rounds: number, ioMs: number }
  /** count as fast as it can under the lock until STOP, publishing the count in `counter` (release) */
  | { role: 'count', counter: SharedArrayBuffer }
  /** the release part's phases, each `ms` long, `repeats` times in turn, reading `counter` at their edges; then STOP */
  | { role: 'hash', counter: SharedArrayBuffer, bytes: number, ms: number, repeats: number }

export interface GilLabStep {
  /** each thread's role by slot; a thread without one goes on to the next step's barrier */
  roles: Array<GilLabRole | null>
  gil?: GilShared
  control: SharedArrayBuffer
}

export interface GilLabThreadData {
  slot: number
  /** threads of the run: the barrier's parties */
  threads: number
  steps: GilLabStep[]
  /** the StepBarrier's cells (every thread of the run is a party) */
  barrier: SharedArrayBuffer
  /** Int32 [0]: the rounds the calibrating spin did */
  calibration: SharedArrayBuffer
}

/** One release phase, summed over its repeats. */
export interface PhaseEdge {
  phase: ReleasePhase
  ms: number
  /** the counter thread's iterations during the phase */
  counted: number
  /** sha256 calls the phase made (0 for alone and pure) */
  calls: number
}

export type GilLabRoleResult =
  /** startedAt, endedAt: ms since the epoch, first holding the lock → time up; holds: each hold that ended in a hand-over (ms) */
  | { role: 'spin', spins: number, startedAt: number, endedAt: number, holds: number[] }
  | { role: 'work', startedAt: number, endedAt: number }
  | { role: 'io', latencies: number[] }
  | { role: 'count', iterations: number }
  | { role: 'hash', phases: PhaseEdge[] }

/** A thread's result: what it did in each step (null where it had no role). */
export type GilLabThreadResult = Array<GilLabRoleResult | null>
