import type { TaskOutcome } from './messages.js'

/** How many tasks one dispatch carries: a fixed number, or 'auto' (sized from the task run times measured so far). */
export type BatchSetting = number | 'auto'

export interface BatchSizerOptions {
  setting: BatchSetting
  /** dispatches in flight at once (pool lanes, child processes) */
  lanes: number
  /** auto: the run time one dispatch should carry, so the round trip through the main thread stays a small share */
  targetMs: number
  /** auto never goes beyond this (MAX_BATCH) */
  maxBatch: number
}

/**
 * Sizes dispatches. With a number it is that number. With 'auto' the first dispatches carry one task each; once
 * run times come back, a dispatch carries about `targetMs` of work, but never more than half of what is left per
 * lane ("factoring" self-scheduling: remaining ÷ (2 × lanes)), so dispatches shrink towards the end and no lane idles
 * while another works through a long batch. (Python's `Pool.map` uses tasks ÷ (4 × workers) fixed up front; it has no
 * run times to go by.)
 *
 * Why: every dispatch is two wake-ups across threads (or an IPC round trip); measured here that costs 0.1–0.5 ms,
 * more when the cores are busy. With one task per dispatch a pool of 2 ran 1 MiB hashes at 0.79 of two cores
 * (bench P3); batches of ≥ 20 ms reach threads mode's scaling.
 */
export class BatchSizer {
  readonly #options: BatchSizerOptions
  #runMs = 0
  #measured = 0
  dispatches = 0

  constructor (options: BatchSizerOptions) {
    this.#options = options
  }

  /** Feeds run times back (failed tasks too: they took that long). */
  observe (outcomes: TaskOutcome[]): void {
    for (const outcome of outcomes) {
      if (outcome.lost || !Number.isFinite(outcome.runMs)) continue
      this.#runMs += outcome.runMs
      this.#measured++
    }
  }

  /** Feeds run times back as a total over `count` tasks (a cluster slice's summary). */
  observeTotal (runMs: number, count: number): void {
    if (count <= 0 || !Number.isFinite(runMs)) return
    this.#runMs += runMs
    this.#measured += count
  }

  /** The size of the next dispatch when `remaining` tasks are left to hand out. */
  next (remaining: number): number {
    this.dispatches++
    const { setting, lanes, targetMs, maxBatch } = this.#options
    if (setting !== 'auto') return setting
    if (this.#measured === 0) return 1
    const meanMs = Math.max(this.#runMs / this.#measured, 1e-3)
    const forTarget = Math.ceil(targetMs / meanMs)
    const forBalance = Math.ceil(remaining / (2 * Math.max(lanes, 1)))
    const size = Math.min(forTarget, forBalance, maxBatch)
    return Number.isFinite(size) ? Math.max(1, size) : 1
  }
}
