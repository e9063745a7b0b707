import type { JobContext, TaskOutcome } from '../executors/messages.js'
import type { WorkerPool } from '../executors/worker-pool.js'
import type { TaskLabels } from '../jobs/runner-deps.js'
import { OutcomeCollector } from '../measure/outcome-collector.js'
import { readCpu } from './cpu-reading.js'
import type { PreparedJobs } from './prepared-jobs.js'
import type { SliceData, SliceResult } from './slice-schema.js'

/** What running a slice on this replica uses. */
export interface SliceRunnerDeps {
  /** the cluster mode's name (its task metrics' label) */
  mode: string
  pool: WorkerPool
  prepared: PreparedJobs
  replica: string
  upstreamUrl: string
  maxErrors: number
  observeTasks: (labels: TaskLabels) => (outcomes: TaskOutcome[]) => void
  /** sees every outcome of a slice that completed (the engine's trace log) */
  onOutcomes?: (outcomes: TaskOutcome[]) => void
}

/** A slice stopped by its job's cancel: it reports nothing (its coordinator no longer waits for it). */
export class SliceCancelled extends Error {}

/**
 * Runs one slice in this replica's warm pool as one dispatch, exactly as the pool mode runs a batch (never on the
 * main thread), and summarizes its outcomes where they ran: counts, histograms, workers, the first errors. The
 * tasks are counted in this replica's task metrics, so per-replica panels show where the work ran.
 */
export async function runSlice (data: SliceData, deps: SliceRunnerDeps, signal: AbortSignal, stalledBefore: number): Promise<SliceResult> {
  const { pool } = deps
  const resources = await deps.prepared.acquire(data)
  try {
    const job: JobContext = {
      jobId: data.jobId,
      workload: data.workload,
      params: data.params,
      seed: data.seed,
      shared: resources.shared,
      upstreamUrl: deps.upstreamUrl,
      latencyCapMs: data.latencyCapMs
    }
    if (data.crashAtTask !== undefined) job.crashAtTask = data.crashAtTask
    if (data.indexOffset !== undefined) job.indexOffset = data.indexOffset
    if (resources.gil) job.gil = resources.gil
    // As the pool mode: the signal where piscina can use it, else a stop cell the thread reads before each task.
    const abortable = pool.tasksPerThread === 1
    const stop = abortable ? undefined : new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT)
    const onAbort = () => { if (stop) Atomics.store(new Int32Array(stop), 0, 1) }
    signal.addEventListener('abort', onAbort, { once: true })
    const cpuStart = readCpu()
    let outcomes: TaskOutcome[]
    try {
      if (signal.aborted) throw new SliceCancelled('cancelled before it started')
      outcomes = await pool.run(stop ? { job, indices: data.indices, stop } : { job, indices: data.indices }, abortable ? signal : undefined)
    } catch (error) {
      if (signal.aborted) throw new SliceCancelled('cancelled')
      // Its pool thread died (crashAtTask, its heap limit): every task of the dispatch failed, as in the pool mode.
      const message = `pool thread died on ${deps.replica}: ${(error as Error).message}`
      outcomes = data.indices.map((index) => ({ index, ok: false, runMs: 0, error: message, worker: 'pool', lost: true as const }))
    } finally {
      signal.removeEventListener('abort', onAbort)
    }
    if (signal.aborted) throw new SliceCancelled('cancelled')
    const cpuEnd = readCpu()
    const collector = new OutcomeCollector(deps.maxErrors)
    outcomes.forEach((outcome, position) => {
      // A pool thread runs its batch in order and stops early only at the end: outcome i is indices[i]'s.
      outcome.dueAt = typeof data.dueAt === 'number' ? data.dueAt : data.dueAt[position]
      outcome.worker = `${deps.replica}/${outcome.worker}`
      collector.add(outcome)
    })
    deps.onOutcomes?.(outcomes)
    deps.observeTasks({ mode: deps.mode, workload: data.workload, source: data.source })(outcomes)
    return { replica: deps.replica, summary: collector.summary(), cpuStart, cpuEnd, stalledBefore }
  } finally {
    deps.prepared.release(data.jobId)
  }
}
