import type { TaskOutcome } from '../executors/messages.js'
import { LatencyStats } from './latency-stats.js'
import type { OutcomeSummary } from './outcome-summary-schema.js'
import type { Report } from './report-schema.js'

/** A start this much after its due time counts as late (open-loop dispatch waits on timers, which resolve to about 1 ms). */
const LATE_MS = 2

/** Results of this many first tasks (by index) are kept in the report, so anyone can check them. */
export const RESULT_SAMPLE = 5

/** Everything a report needs from task outcomes, gathered as they arrive (nothing kept per task). */
export class OutcomeCollector {
  readonly latency = new LatencyStats()
  readonly queue = new LatencyStats()
  readonly response = new LatencyStats()
  /** tasks whose start was more than LATE_MS after their due time */
  lateStarts = 0
  #firstDueAt = Infinity
  #lastStartAt = -Infinity
  readonly wait = new LatencyStats()
  readonly gilWait = new LatencyStats()
  done = 0
  failed = 0
  readonly #workers = new Map<string, { tasks: number, busyMs: number }>()
  readonly errors: Report['errors'] = []
  errorsOmitted = 0
  readonly #results: Report['results'] = []
  readonly #maxErrors: number

  constructor (maxErrors: number) {
    this.#maxErrors = maxErrors
  }

  add (outcome: TaskOutcome): void {
    if (outcome.ok) this.done++
    else this.failed++
    if (!outcome.lost) {
      this.latency.record(outcome.runMs)
      if (outcome.dueAt !== undefined && outcome.startedAt !== undefined) {
        // Clocks of threads and processes agree to well under a millisecond, not exactly: never below 0.
        const queueMs = Math.max(outcome.startedAt - outcome.dueAt, 0)
        this.queue.record(queueMs)
        this.response.record(queueMs + outcome.runMs)
        if (queueMs > LATE_MS) this.lateStarts++
        if (outcome.dueAt < this.#firstDueAt) this.#firstDueAt = outcome.dueAt
        if (outcome.startedAt > this.#lastStartAt) this.#lastStartAt = outcome.startedAt
      }
      const worker = this.#workers.get(outcome.worker)
      if (worker) {
        worker.tasks++
        worker.busyMs += outcome.runMs
      } else {
        this.#workers.set(outcome.worker, { tasks: 1, busyMs: outcome.runMs })
      }
    }
    if (outcome.waitMs !== undefined) this.wait.record(outcome.waitMs)
    if (outcome.gilWaitMs !== undefined) this.gilWait.record(outcome.gilWaitMs)
    if (!outcome.ok) {
      if (this.errors.length < this.#maxErrors) {
        this.errors.push({ index: outcome.index, worker: outcome.worker, message: outcome.error ?? 'unknown error' })
      } else {
        this.errorsOmitted++
      }
    }
    if (outcome.index < RESULT_SAMPLE && outcome.value !== undefined) this.#results.push({ index: outcome.index, value: outcome.value })
  }

  /** What it gathered, as data (a cluster slice's result); merge() adds it to another collector exactly. */
  summary (): OutcomeSummary {
    return {
      done: this.done,
      failed: this.failed,
      latency: this.latency.data(),
      queue: this.queue.data(),
      response: this.response.data(),
      wait: this.wait.data(),
      gilWait: this.gilWait.data(),
      lateStarts: this.lateStarts,
      firstDueAt: Number.isFinite(this.#firstDueAt) ? this.#firstDueAt : null,
      lastStartAt: Number.isFinite(this.#lastStartAt) ? this.#lastStartAt : null,
      workers: [...this.#workers].map(([worker, { tasks, busyMs }]) => ({ worker, tasks, busyMs })),
      errors: [...this.errors],
      errorsOmitted: this.errorsOmitted,
      results: this.results()
    }
  }

  /** Adds what another collector gathered (its summary()), as if its outcomes had been added here one by one. */
  merge (other: OutcomeSummary): void {
    this.done += other.done
    this.failed += other.failed
    this.latency.merge(LatencyStats.from(other.latency))
    this.queue.merge(LatencyStats.from(other.queue))
    this.response.merge(LatencyStats.from(other.response))
    this.wait.merge(LatencyStats.from(other.wait))
    this.gilWait.merge(LatencyStats.from(other.gilWait))
    this.lateStarts += other.lateStarts
    if (other.firstDueAt !== null && other.firstDueAt < this.#firstDueAt) this.#firstDueAt = other.firstDueAt
    if (other.lastStartAt !== null && other.lastStartAt > this.#lastStartAt) this.#lastStartAt = other.lastStartAt
    for (const { worker, tasks, busyMs } of other.workers) {
      const known = this.#workers.get(worker)
      if (known) {
        known.tasks += tasks
        known.busyMs += busyMs
      } else {
        this.#workers.set(worker, { tasks, busyMs })
      }
    }
    const room = Math.max(this.#maxErrors - this.errors.length, 0)
    this.errors.push(...other.errors.slice(0, room))
    this.errorsOmitted += other.errorsOmitted + Math.max(other.errors.length - room, 0)
    for (const result of other.results) if (result.index < RESULT_SAMPLE) this.#results.push(result)
  }

  /** Tasks started per second from the first due time to the last start (open loop: the rate achieved). */
  startRate (): number | null {
    const spanMs = this.#lastStartAt - this.#firstDueAt
    return this.queue.count > 1 && spanMs > 0 ? Number(((this.queue.count - 1) / (spanMs / 1000)).toFixed(2)) : null
  }

  workers (wallMs: number): Report['workers'] {
    return [...this.#workers].map(([worker, { tasks, busyMs }]) => ({
      worker,
      tasks,
      busyMs: Number(busyMs.toFixed(3)),
      // Not capped at 1: where tasks overlap on one worker (async) it is the average number in flight.
      utilization: wallMs > 0 ? Number((busyMs / wallMs).toFixed(4)) : 0
    }))
  }

  results (): Report['results'] {
    return [...this.#results].sort((a, b) => a.index - b.index)
  }
}
