/**
 * An open-loop HTTP load at a fixed arrival rate, measured as wrk2 measures it: request i is due at
 * start + i ÷ rate whether or not earlier requests have finished, and its latency runs from that due time to the
 * end of its response. A server that stalls therefore shows every request that fell due during the stall with the
 * time it waited, not just the few that were in flight (coordinated omission: a closed-loop client, or one that
 * times from the actual send, stops sending while the server stalls and records one slow request).
 *
 *   due times ──▶ [send now if a connection is free, else FIFO wait] ──▶ keep-alive connection ──▶ response end
 *   latency   = response end − due          (what a caller arriving on schedule waits)
 *   service   = response end − actual send  (what a closed-loop client would report)
 *   send lag  = actual send − due           (no free connection, or this process's own timers ran late)
 *   timer lag = taken from the schedule − due (this process's own lateness alone: the instrument's error)
 *
 * Loopback only, at most `connections` requests in flight, a bounded number of requests (rate × duration, at most
 * MAX_REQUESTS) and a bounded time (the schedule, then at most `timeoutMs` for the last responses).
 */
import { Agent, request as httpRequest } from 'node:http'

export const MAX_REQUESTS = 1_000_000
/** A send later than this after its due time counts as late (setTimeout's own resolution is about 1 ms). */
export const LATE_AFTER_MS = 2

export interface OpenLoopOptions {
  url: string
  /** requests per second, fixed */
  rate: number
  durationSec: number
  /** keep-alive connections, so also the most requests in flight */
  connections: number
  /** a request without its response this long after its send is an error; also the wait for the last responses */
  timeoutMs?: number
  /** keep every request's times (ms since the start) in the result */
  keepSamples?: boolean
}

export interface Percentiles {
  p50: number
  p90: number
  p99: number
  p999: number
  max: number
  mean: number
}

export interface RequestSample {
  /** ms since the start of the schedule */
  dueMs: number
  sentMs: number
  doneMs: number
  status: number
}

export interface OpenLoopResult {
  scheduled: number
  completed: number
  /** connection errors and timeouts */
  errors: number
  non2xx: number
  /** requests sent more than LATE_AFTER_MS after their due time */
  late: number
  /** requests that waited for a free connection (every connection had a request in flight) */
  waitedForConnection: number
  /** µs from due time to response end, completed requests only */
  latencyUs: Percentiles
  /** µs from actual send to response end */
  serviceUs: Percentiles
  /** µs from due time to actual send */
  sendLagUs: Percentiles
  /** µs from due time to the moment this process's timer took the request from the schedule (its own lateness) */
  timerLagUs: Percentiles
  /** completed ÷ seconds from the start to the last response */
  achievedRate: number
  durationMs: number
  /** the schedule's start as performance.timeOrigin + performance.now() (comparable across threads) */
  startedAt: number
  samples?: RequestSample[]
}

export function percentiles (values: Float64Array): Percentiles {
  if (values.length === 0) return { p50: Number.NaN, p90: Number.NaN, p99: Number.NaN, p999: Number.NaN, max: Number.NaN, mean: Number.NaN }
  const sorted = Float64Array.from(values).sort()
  // Nearest rank: the smallest value with at least q of the values at or below it.
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!
  let sum = 0
  for (const value of sorted) sum += value
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), p999: at(0.999), max: sorted[sorted.length - 1]!, mean: sum / sorted.length }
}

function assertLoopback (url: string): void {
  const { hostname, protocol } = new URL(url)
  if (protocol !== 'http:' || (hostname !== '127.0.0.1' && hostname !== 'localhost')) throw new Error(`open-loop load only on http://127.0.0.1, not ${url}`)
}

export async function openLoop (options: OpenLoopOptions): Promise<OpenLoopResult> {
  assertLoopback(options.url)
  if (!(options.rate > 0) || !(options.durationSec > 0) || !(options.connections >= 1)) throw new Error('open-loop: rate, durationSec and connections must be positive')
  const count = Math.min(MAX_REQUESTS, Math.max(1, Math.round(options.rate * options.durationSec)))
  const intervalMs = 1000 / options.rate
  const timeoutMs = options.timeoutMs ?? 10_000
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections })
  const target = new URL(options.url)

  const due = new Float64Array(count)
  const taken = new Float64Array(count).fill(Number.NaN)
  const sent = new Float64Array(count).fill(Number.NaN)
  const done = new Float64Array(count).fill(Number.NaN)
  const status = new Int32Array(count)
  let errors = 0
  let non2xx = 0
  let waitedForConnection = 0
  let inFlight = 0
  let finished = 0
  /** past the deadline: nothing more is sent */
  let closed = false
  const waiting: number[] = []
  let waitingHead = 0
  const start = performance.now()
  for (let index = 0; index < count; index++) due[index] = start + index * intervalMs

  let resolveAll!: () => void
  const allDone = new Promise<void>((resolve) => { resolveAll = resolve })
  const live = new Set<ReturnType<typeof httpRequest>>()

  const settle = (index: number, code: number) => {
    done[index] = performance.now()
    status[index] = code
    inFlight--
    finished++
    if (!closed && waitingHead < waiting.length) send(waiting[waitingHead++]!)
    if (finished === count) resolveAll()
  }

  function send (index: number): void {
    inFlight++
    sent[index] = performance.now()
    let settled = false
    const request = httpRequest({ agent, hostname: target.hostname, port: target.port, path: `${target.pathname}${target.search}`, method: 'GET' }, (response) => {
      response.on('data', () => {})
      response.on('end', () => {
        if (settled) return
        settled = true
        live.delete(request)
        if (response.statusCode === undefined || response.statusCode < 200 || response.statusCode >= 300) non2xx++
        settle(index, response.statusCode ?? 0)
      })
    })
    live.add(request)
    request.setTimeout(timeoutMs, () => request.destroy(new Error(`no response within ${timeoutMs} ms`)))
    request.on('error', () => {
      if (settled) return
      settled = true
      live.delete(request)
      errors++
      settle(index, 0)
    })
    request.end()
  }

  // The schedule: wake at the next due time, send everything due by now (a late wake-up sends the backlog at once,
  // each still timed from its own due time).
  let next = 0
  let timer: NodeJS.Timeout | undefined
  const tick = () => {
    const now = performance.now()
    while (next < count && due[next]! <= now) {
      const index = next++
      taken[index] = now
      if (inFlight < options.connections) send(index)
      else {
        waitedForConnection++
        waiting.push(index)
      }
    }
    if (next < count) timer = setTimeout(tick, Math.max(0, due[next]! - performance.now()))
  }
  tick()

  // Bounded: the schedule's length plus timeoutMs for the last responses; whatever is still open then is an error.
  const deadline = new Promise<void>((resolve) => { setTimeout(resolve, count * intervalMs + timeoutMs + 1000).unref() })
  await Promise.race([allDone, deadline])
  closed = true
  clearTimeout(timer)
  for (const request of live) request.destroy(new Error('open-loop deadline'))
  const unsent = count - next + (waiting.length - waitingHead)
  errors += unsent
  agent.destroy()

  const completedIndices: number[] = []
  for (let index = 0; index < count; index++) if (status[index]! > 0 && !Number.isNaN(done[index]!)) completedIndices.push(index)
  const pick = (value: (index: number) => number) => Float64Array.from(completedIndices, value)
  const sentIndices = Array.from({ length: count }, (_, index) => index).filter((index) => !Number.isNaN(sent[index]!))
  let late = 0
  for (const index of sentIndices) if (sent[index]! - due[index]! > LATE_AFTER_MS) late++
  const lastDone = completedIndices.reduce((latest, index) => Math.max(latest, done[index]!), start)

  return {
    scheduled: count,
    completed: completedIndices.length,
    errors,
    non2xx,
    late,
    waitedForConnection,
    latencyUs: percentiles(pick((index) => (done[index]! - due[index]!) * 1000)),
    serviceUs: percentiles(pick((index) => (done[index]! - sent[index]!) * 1000)),
    sendLagUs: percentiles(Float64Array.from(sentIndices, (index) => (sent[index]! - due[index]!) * 1000)),
    timerLagUs: percentiles(Float64Array.from(due.subarray(0, next), (dueAt, index) => (taken[index]! - dueAt) * 1000)),
    achievedRate: completedIndices.length / ((lastDone - start) / 1000),
    durationMs: performance.now() - start,
    startedAt: performance.timeOrigin + start,
    ...(options.keepSamples
      ? { samples: Array.from({ length: count }, (_, index) => ({ dueMs: due[index]! - start, sentMs: sent[index]! - start, doneMs: done[index]! - start, status: status[index]! })) }
      : {})
  }
}
