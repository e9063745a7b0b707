/**
 * A job's per-interval view (sysbench's --report-interval): one row per fixed interval of the measured window,
 * so warm-up, drift or a stall inside a long job can be seen. Every outcome goes into exactly one row — the one
 * in which the main thread received it — so the rows add up exactly to the report's totals. When a job outlives
 * `maxRows` intervals, neighbouring rows are merged pairwise and the interval doubles (counts add, histograms
 * merge): the row count stays bounded and nothing is lost.
 */
import type { TaskOutcome } from '../executors/messages.js'
import { coreBusy, sampleCpu, type CpuSample } from './cpu-sampler.js'
import { LatencyStats } from './latency-stats.js'
import type { OutcomeSummary } from './outcome-summary-schema.js'
import type { SeriesRow } from './report-schema.js'

interface Bucket {
  done: number
  failed: number
  latency: LatencyStats
  response: LatencyStats
}

const emptyBucket = (): Bucket => ({ done: 0, failed: 0, latency: new LatencyStats(), response: new LatencyStats() })
const round = (value: number, digits = 3) => Number(value.toFixed(digits))

export class TimeSeries {
  readonly #startedAt: number
  readonly #maxRows: number
  #intervalMs: number
  #buckets: Bucket[] = []
  /** CPU samples at each row's start (taken by a timer, so late when the event loop is blocked) */
  #cpuAt: CpuSample[]
  readonly #timer: NodeJS.Timeout
  #stopped = false

  /** `start` is the window's CPU sample (performance.now() time base), so row 0 begins with the report's window. */
  constructor (start: CpuSample, intervalMs: number, maxRows: number) {
    this.#startedAt = start.at
    this.#intervalMs = intervalMs
    this.#maxRows = Math.max(maxRows, 2)
    this.#cpuAt = [start]
    this.#timer = setInterval(() => this.#sampleCpu(), intervalMs)
    this.#timer.unref()
  }

  get intervalMs (): number {
    return this.#intervalMs
  }

  add (outcomes: TaskOutcome[], now = performance.now()): void {
    const bucket = this.#bucketAt(now)
    for (const outcome of outcomes) {
      if (outcome.ok) bucket.done++
      else bucket.failed++
      if (outcome.lost) continue
      bucket.latency.record(outcome.runMs)
      if (outcome.dueAt !== undefined && outcome.startedAt !== undefined) {
        bucket.response.record(Math.max(outcome.startedAt - outcome.dueAt, 0) + outcome.runMs)
      }
    }
  }

  /** Outcomes summarized where they ran (a cluster slice): into the row in which their summary arrived, as add() does. */
  addSummary (summary: OutcomeSummary, now = performance.now()): void {
    const bucket = this.#bucketAt(now)
    bucket.done += summary.done
    bucket.failed += summary.failed
    bucket.latency.merge(LatencyStats.from(summary.latency))
    bucket.response.merge(LatencyStats.from(summary.response))
  }

  /** The last row begun (for progress events), or null before any. */
  latest (now = performance.now()): SeriesRow | null {
    const index = this.#buckets.length - 1
    return index < 0 ? null : this.#row(index, Math.min(now, this.#startedAt + (index + 1) * this.#intervalMs), sampleCpu())
  }

  /** Stops sampling; the rows up to `end` (the window's last CPU sample), the last one partial. */
  finish (end: CpuSample): SeriesRow[] {
    this.stop()
    const rows = Math.max(Math.ceil((end.at - this.#startedAt) / this.#intervalMs), this.#buckets.length, 1)
    while (this.#buckets.length < rows) this.#buckets.push(emptyBucket())
    return this.#buckets.map((_, index) => this.#row(index, Math.min(end.at, this.#startedAt + (index + 1) * this.#intervalMs), this.#cpuAt[index + 1] ?? end))
  }

  stop (): void {
    if (this.#stopped) return
    this.#stopped = true
    clearInterval(this.#timer)
  }

  #bucketAt (now: number): Bucket {
    let index = Math.max(Math.floor((now - this.#startedAt) / this.#intervalMs), 0)
    while (index >= this.#maxRows) {
      this.#halve()
      index = Math.max(Math.floor((now - this.#startedAt) / this.#intervalMs), 0)
    }
    while (this.#buckets.length <= index) this.#buckets.push(emptyBucket())
    return this.#buckets[index]!
  }

  /** Rows 2k and 2k + 1 become row k; the interval doubles. */
  #halve (): void {
    const merged: Bucket[] = []
    for (let index = 0; index < this.#buckets.length; index += 2) {
      const into = this.#buckets[index]!
      const next = this.#buckets[index + 1]
      if (next) {
        into.done += next.done
        into.failed += next.failed
        into.latency.merge(next.latency)
        into.response.merge(next.response)
      }
      merged.push(into)
    }
    this.#buckets = merged
    this.#cpuAt = this.#cpuAt.filter((_, index) => index % 2 === 0)
    this.#intervalMs *= 2
    // The sampling timer keeps its period; samples in between are dropped here.
  }

  /** A sample for the row boundary nearest now; one late after a blocked event loop stands in for those it missed. */
  #sampleCpu (): void {
    const sample = sampleCpu()
    const index = Math.round((sample.at - this.#startedAt) / this.#intervalMs)
    while (this.#cpuAt.length <= index) this.#cpuAt.push(sample)
  }

  #row (index: number, endAt: number, cpuEnd: CpuSample): SeriesRow {
    const bucket = this.#buckets[index]!
    const startMs = index * this.#intervalMs
    const endMs = Math.max(endAt - this.#startedAt, startMs)
    const seconds = (endMs - startMs) / 1000
    const cpuStart = this.#cpuAt[index]
    const latency = bucket.latency.summary()
    const response = bucket.response.summary()
    return {
      startMs: round(startMs),
      endMs: round(endMs),
      done: bucket.done,
      failed: bucket.failed,
      tasksPerSec: seconds > 0 ? round(bucket.done / seconds, 2) : 0,
      latencyP50Ms: latency?.p50 ?? null,
      latencyP99Ms: latency?.p99 ?? null,
      responseP50Ms: response?.p50 ?? null,
      responseP99Ms: response?.p99 ?? null,
      cpuBusy: cpuStart && cpuEnd.at > cpuStart.at
        ? cpuEnd.cores.map((after) => coreBusy(cpuStart.cores.find((before) => before.core === after.core) ?? after, after).busy)
        : []
    }
  }
}
