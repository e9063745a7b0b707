import { createHistogram, type RecordableHistogram } from 'node:perf_hooks'
import type { LatencySummary } from './report-schema.js'

const round = (ms: number) => Number(ms.toFixed(4))

/**
 * Millisecond samples into Node's built-in HDR histogram (perf_hooks, ns resolution, ~3 significant digits) for
 * percentiles; min, max and mean are kept exactly beside it.
 */
export class LatencyStats {
  readonly #histogram: RecordableHistogram = createHistogram()
  #count = 0
  #sum = 0
  #min = Infinity
  #max = 0

  record (ms: number): void {
    this.#histogram.record(Math.max(1, Math.round(ms * 1e6)))
    this.#count++
    this.#sum += ms
    if (ms < this.#min) this.#min = ms
    if (ms > this.#max) this.#max = ms
  }

  /** Adds another's samples (series rows merged into one twice as long). */
  merge (other: LatencyStats): void {
    if (other.#count === 0) return
    this.#histogram.add(other.#histogram)
    this.#count += other.#count
    this.#sum += other.#sum
    this.#min = Math.min(this.#min, other.#min)
    this.#max = Math.max(this.#max, other.#max)
  }

  get count (): number {
    return this.#count
  }

  summary (): LatencySummary | null {
    if (this.#count === 0) return null
    // The histogram keeps ~3 significant digits and rounds up: keep its percentiles within the exact min and max.
    const percentile = (p: number) => round(Math.min(Math.max(this.#histogram.percentile(p) / 1e6, this.#min), this.#max))
    return {
      count: this.#count,
      min: round(this.#min),
      p50: percentile(50),
      p90: percentile(90),
      p99: percentile(99),
      max: round(this.#max),
      mean: round(this.#sum / this.#count)
    }
  }
}
