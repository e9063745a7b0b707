import { Worker } from 'node:worker_threads'
import { maxOf, percentile } from './load-driver.js'
import { parsePrometheusText } from './prometheus-text.js'

/*
 * Watchers that run beside a load: a liveness prober (GET /healthz every 100 ms on a new connection each time, as
 * a kubelet probes) and a sampler of the service's process figures from /proc, with the statistics the tests
 * assert on.
 */

export interface Probe { at: number, ms: number, status: number | string }

/*
 * The prober runs in a thread of its own: the test's main thread is busy being the load generator, and a probe timed
 * on its event loop would measure the generator's delay as the service's. It keeps a fixed schedule (start + k ×
 * everyMs; a late timer fires every probe that is due) and times each probe from when it was due, so a late probe is
 * never flattered; probes overlap when one is slow. Times cross threads as timeOrigin + now (each thread has its own
 * origin). Plain JavaScript, evaluated: a worker file would need tsx in the thread.
 */
const PROBER_SOURCE = `
const { request } = require('node:http')
const { parentPort, workerData } = require('node:worker_threads')
const { url, path, everyMs, timeoutMs } = workerData
const target = new URL(url)
const now = () => performance.timeOrigin + performance.now()
const probes = []
const pending = new Set()
function probe (due) {
  const done = new Promise((resolve) => {
    const finish = (status) => { probes.push({ at: due, ms: now() - due, status }); resolve() }
    const outgoing = request({ host: target.hostname, port: target.port, path, agent: false }, (response) => {
      response.resume()
      response.once('end', () => finish(response.statusCode))
      response.once('error', (error) => finish(error.code || error.message))
    })
    outgoing.setTimeout(timeoutMs, () => outgoing.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })))
    outgoing.once('error', (error) => finish(error.code || error.message))
    outgoing.end()
  })
  pending.add(done)
  done.then(() => pending.delete(done))
}
let due = now()
const timer = setInterval(() => {
  for (const t = now(); due <= t; due += everyMs) probe(due)
}, Math.max(1, Math.floor(everyMs / 4)))
parentPort.once('message', async () => {
  clearInterval(timer)
  await Promise.all(pending)
  parentPort.postMessage(probes)
})
`

/** Probes `path` every `everyMs` (on a new connection each time, as a kubelet does) from a thread of its own, until stopped. */
export class HealthProber {
  probes: Probe[] = []
  readonly #worker: Worker
  #stopped: Promise<void> | undefined

  constructor (url: string, path = '/healthz', everyMs = 100, timeoutMs = 2000) {
    this.#worker = new Worker(PROBER_SOURCE, { eval: true, workerData: { url, path, everyMs, timeoutMs } })
  }

  /** Waits for the probes in flight and collects every probe (times as this thread's performance.now()). */
  stop (): Promise<void> {
    this.#stopped ??= new Promise<void>((resolve, reject) => {
      this.#worker.once('error', reject)
      this.#worker.once('message', (probes: Probe[]) => {
        this.probes = probes.map((probe) => ({ ...probe, at: probe.at - performance.timeOrigin }))
        this.#worker.terminate().then(() => resolve(), reject)
      })
      this.#worker.postMessage('stop')
    })
    return this.#stopped
  }

  /** Probes that were due in [from, to) (after stop). */
  between (from: number, to: number): Probe[] {
    return this.probes.filter((probe) => probe.at >= from && probe.at < to)
  }
}

export function describeProbes (probes: readonly Probe[]): string {
  const ms = probes.map((probe) => probe.ms)
  const failed = probes.filter((probe) => probe.status !== 200).length
  return `${probes.length} probes, ${failed} not 200; ms p50 ${percentile(ms, 50).toFixed(1)}, p99 ${percentile(ms, 99).toFixed(1)}, max ${maxOf(ms).toFixed(1)}`
}

export interface Sample { at: number, value: number }

/** Calls `read` every `everyMs` and keeps what it returns (undefined: not kept, the process is gone). */
export class Sampler {
  readonly samples: Sample[] = []
  readonly #timer: NodeJS.Timeout

  constructor (read: () => number | undefined, everyMs: number) {
    const take = () => {
      const value = read()
      if (value !== undefined) this.samples.push({ at: performance.now(), value })
    }
    take()
    this.#timer = setInterval(take, everyMs)
  }

  stop (): void {
    clearInterval(this.#timer)
  }

  get max (): number {
    return maxOf(this.samples.map((sample) => sample.value))
  }
}

/** Least-squares slope of value over time, per minute (samples' `at` in ms). */
export function slopePerMinute (samples: readonly Sample[]): number {
  const n = samples.length
  if (n < 2) return Number.NaN
  const meanT = samples.reduce((sum, s) => sum + s.at, 0) / n
  const meanV = samples.reduce((sum, s) => sum + s.value, 0) / n
  let covariance = 0
  let variance = 0
  for (const s of samples) {
    covariance += (s.at - meanT) * (s.value - meanV)
    variance += (s.at - meanT) ** 2
  }
  return variance === 0 ? 0 : covariance / variance * 60_000
}

/** The cumulative buckets (le → count) of one histogram in a Prometheus text exposition. */
export function histogramBuckets (metricsText: string, name: string): Map<number, number> {
  const buckets = new Map<number, number>()
  for (const sample of parsePrometheusText(metricsText)) {
    if (sample.name === `${name}_bucket`) buckets.set(sample.labels.le === '+Inf' ? Infinity : Number(sample.labels.le), sample.value)
  }
  return buckets
}

/**
 * Quantiles of what a histogram counted between two scrapes, as the upper bound of the bucket each falls in (no
 * interpolation: an upper bound is the honest claim), and the bound under which every sample fell (the max).
 */
export function histogramBetween (before: Map<number, number>, after: Map<number, number>): { count: number, quantile: (q: number) => number, max: number } {
  const bounds = [...after.keys()].sort((a, b) => a - b)
  const counts = bounds.map((bound) => (after.get(bound) ?? 0) - (before.get(bound) ?? 0))
  const count = counts.at(-1) ?? 0
  const quantile = (q: number) => bounds[counts.findIndex((n) => n >= q * count)] ?? Number.NaN
  return { count, quantile, max: quantile(1) }
}
