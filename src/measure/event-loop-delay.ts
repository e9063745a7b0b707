/**
 * How late the main event loop answers, corrected for coordinated omission. A timer every `intervalMs` measures how
 * late it fired. A stall of S ms holds the timer too, so a plain sampler (monitorEventLoopDelay, timer firings)
 * records it once, as if only one request had waited; a request arriving at any moment of the stall waited
 * S, S − interval, S − 2·interval, … So a late firing also records the samples the stall swallowed
 * (HdrHistogram's recordValueWithExpectedInterval): a 500 ms stall with a 10 ms sampler counts ≈ 50 samples.
 */
import { LatencyStats } from './latency-stats.js'

export const DELAY_SAMPLE_MS = 10

export class EventLoopDelay {
  readonly stats = new LatencyStats()
  readonly #intervalMs: number
  readonly #onSample: ((lateMs: number) => void) | undefined
  #timer: NodeJS.Timeout | undefined
  #dueAt = 0

  constructor (options: { intervalMs?: number, onSample?: (lateMs: number) => void } = {}) {
    this.#intervalMs = options.intervalMs ?? DELAY_SAMPLE_MS
    this.#onSample = options.onSample
  }

  start (): this {
    this.#arm()
    return this
  }

  stop (): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
  }

  #arm (): void {
    this.#dueAt = performance.now() + this.#intervalMs
    this.#timer = setTimeout(() => this.#fired(), this.#intervalMs)
    this.#timer.unref()
  }

  #fired (): void {
    const lateMs = Math.max(performance.now() - this.#dueAt, 0)
    this.#record(lateMs)
    // The firings the stall held back: requests that arrived during it waited this much less each.
    for (let missed = lateMs - this.#intervalMs; missed > 0; missed -= this.#intervalMs) this.#record(missed)
    this.#arm()
  }

  #record (lateMs: number): void {
    this.stats.record(lateMs)
    this.#onSample?.(lateMs)
  }
}
