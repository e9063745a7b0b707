import type { HistogramData } from './outcome-summary-schema.js'
import type { LatencySummary } from './report-schema.js'

const round = (ms: number) => Number(ms.toFixed(4))

/** Bins per power of ten of a report's histograms: fine enough to show a second mode of a distribution. */
const BINS_PER_DECADE = 10

/** One bin of a histogram chart: the samples above the previous bin's `le` up to this one's (ms). */
export interface HistogramBin { le: number, count: number }

/** Values below this (in ns) have a bucket each; above, a bucket spans 1/1024 of its power of two: 3 significant digits. */
const EXACT_BELOW = 2048
/** 2^0 … 2^63 as a table: `2 ** n` with a variable n made record() three times slower */
const POW2 = Array.from({ length: 64 }, (_, n) => 2 ** n)

/**
 * The bucket a value (a whole number of ns ≥ 1) falls in, as a small integer (a fast Map key): below EXACT_BELOW the
 * value itself; above, 1024 buckets per power of two, each 2^(exponent − 10) wide, numbered on from EXACT_BELOW.
 */
function bucketOf (value: number): number {
  if (value < EXACT_BELOW) return value
  let exponent = Math.floor(Math.log2(value))
  // log2 of a double near a power of two may round across it
  if (POW2[exponent]! > value) exponent--
  else if (POW2[exponent + 1]! <= value) exponent++
  return (exponent - 10) * 1024 + Math.floor(value / POW2[exponent - 10]!)
}

/** The highest value (ns) of a bucket: what a percentile falling in it reads. */
function highestOf (bucket: number): number {
  if (bucket < EXACT_BELOW) return bucket
  const shift = Math.floor(bucket / 1024) - 1
  return ((bucket % 1024) + 1024 + 1) * 2 ** shift - 1
}

/**
 * Millisecond samples into a log-linear histogram for percentiles — the buckets of an HDR histogram of 3
 * significant digits in ns (what perf_hooks.createHistogram() keeps), a percentile reported as the highest value of
 * its bucket (it rounds up) — with min, max and mean kept exactly beside it.
 *
 * Kept in JavaScript, in a Map of the buckets that hold samples, not in perf_hooks' native histogram: that one
 * allocates ≈ 140 KiB outside the V8 heap, which V8 does not know of, and a job makes 8 of them. They were freed
 * only when a major GC happened to collect the job, and a service whose own heap stayed small grew its RSS by
 * ≈ 1.1 MiB a job in between (measured: +490 MiB over 490 jobs in 2 minutes; test/system/soak.test.ts).
 */
export class LatencyStats {
  /** bucket (bucketOf) → samples in it */
  readonly #buckets = new Map<number, number>()
  #count = 0
  #sum = 0
  #min = Infinity
  #max = 0

  record (ms: number): void {
    const bucket = bucketOf(Math.max(1, Math.round(ms * 1e6)))
    this.#buckets.set(bucket, (this.#buckets.get(bucket) ?? 0) + 1)
    this.#count++
    this.#sum += ms
    if (ms < this.#min) this.#min = ms
    if (ms > this.#max) this.#max = ms
  }

  /** Adds another's samples (series rows merged into one twice as long). */
  merge (other: LatencyStats): void {
    if (other.#count === 0) return
    for (const [bucket, n] of other.#buckets) this.#buckets.set(bucket, (this.#buckets.get(bucket) ?? 0) + n)
    this.#count += other.#count
    this.#sum += other.#sum
    this.#min = Math.min(this.#min, other.#min)
    this.#max = Math.max(this.#max, other.#max)
  }

  get count (): number {
    return this.#count
  }

  get sum (): number {
    return this.#sum
  }

  /**
   * Its samples in log-spaced bins for a histogram chart: `perDecade` bins per power of ten of milliseconds (edges
   * 10^(k/perDecade)), every bin from the one holding min to the one holding max (empty ones too, so a chart shows
   * the gaps), counts exact. A sample is binned by the value its HDR bucket reads (within 0.1 % of the sample).
   */
  bins (perDecade = BINS_PER_DECADE): HistogramBin[] {
    if (this.#count === 0) return []
    const binOf = (ms: number) => Math.ceil(Math.log10(Math.max(ms, 1e-6)) * perDecade - 1e-9)
    const counts = new Map<number, number>()
    for (const [bucket, n] of this.#buckets) {
      const ms = Math.min(Math.max(highestOf(bucket) / 1e6, this.#min), this.#max)
      const bin = binOf(ms)
      counts.set(bin, (counts.get(bin) ?? 0) + n)
    }
    const first = Math.min(...counts.keys())
    const last = Math.max(...counts.keys())
    const bins: HistogramBin[] = []
    for (let bin = first; bin <= last; bin++) bins.push({ le: Number((10 ** (bin / perDecade)).toPrecision(4)), count: counts.get(bin) ?? 0 })
    return bins
  }

  /** Its samples as data, exactly (a cluster slice's result): LatencyStats.from() gives them back. */
  data (): HistogramData {
    return { buckets: [...this.#buckets], count: this.#count, sum: this.#sum, min: this.#count > 0 ? this.#min : 0, max: this.#max }
  }

  static from (data: HistogramData): LatencyStats {
    const stats = new LatencyStats()
    if (data.count === 0) return stats
    for (const [bucket, n] of data.buckets) stats.#buckets.set(bucket, (stats.#buckets.get(bucket) ?? 0) + n)
    stats.#count = data.count
    stats.#sum = data.sum
    stats.#min = data.min
    stats.#max = data.max
    return stats
  }

  summary (): LatencySummary | null {
    if (this.#count === 0) return null
    const buckets = [...this.#buckets].sort(([a], [b]) => a - b)
    /** HDR's value at a percentile: the highest value of the bucket where the count reaches p % (rounded) of all */
    const valueAt = (p: number) => {
      const wanted = Math.max(1, Math.floor(p / 100 * this.#count + 0.5))
      let seen = 0
      for (const [bucket, n] of buckets) {
        seen += n
        if (seen >= wanted) return highestOf(bucket)
      }
      return highestOf(buckets.at(-1)![0])
    }
    // The buckets keep ~3 significant digits and round up: keep the percentiles within the exact min and max.
    const percentile = (p: number) => round(Math.min(Math.max(valueAt(p) / 1e6, this.#min), this.#max))
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
