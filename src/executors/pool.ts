import { epochNow, scheduledAt } from './arrivals.js'
import { BatchSizer } from './batch-sizer.js'
import type { ExecutionPlan, ExecutionResult } from './executor.js'
import type { PoolTask } from './messages.js'
import type { ModeDefinition, ModeRuntime } from './mode-definition.js'
import { nextIndicesOf } from './next-indices.js'
import { TaskCursor } from './task-cursor.js'

/**
 * pool: the service's warm piscina pool, with at most `concurrency` dispatches in flight, each of `batch` tasks (or
 * as many as BatchSizer says for 'auto').
 *
 * Cancel: with one task per pool thread (POOL_TASKS_PER_THREAD=1, the default) every dispatch carries the job's
 * AbortSignal, so piscina drops queued dispatches and terminates the thread of a running one (then replaces it).
 * piscina never shares a thread with an abortable task, so with more tasks per thread the signal would silently cap
 * concurrency at the pool size; there the cancel is cooperative instead: a stop cell in shared memory that threads
 * read before each task (a task already running finishes). A workload whose task must not be cut mid-I/O (the file
 * workload: a thread terminated mid fs.promises call leaks its fd) gets both: the stop cell at once, and the abort
 * CANCEL_GRACE_MS later for a dispatch still running then (plan.cancelGraceMs).
 * A dispatch whose thread dies fails all of its tasks; the pool replaces the thread and the job goes on.
 */
async function runPool (plan: ExecutionPlan, { pool }: ModeRuntime): Promise<ExecutionResult> {
  // After a cancel or crash piscina may still be replacing threads: a job waits, and reports it as start-up
  // (a cancel or timeout meanwhile ends the wait).
  let startupMs = 0
  if (plan.awaitWarmWorkers) {
    const waitStarted = performance.now()
    try {
      startupMs = await pool.warm(plan.signal)
    } catch (error) {
      // The pool did not fill up in time (threads keep dying as they load): the job fails with a report, every task not run.
      return { startupMs: performance.now() - waitStarted, teardownMs: 0, workerDeaths: 0, fatalError: (error as Error).message }
    }
  }
  const cursor = new TaskCursor(plan.tasks)
  const lanes = Math.min(plan.concurrency, Math.ceil(plan.tasks / (plan.batch === 'auto' ? 1 : plan.batch)))
  const sizer = new BatchSizer({ setting: plan.batch, lanes, targetMs: plan.autoBatchMs, maxBatch: plan.maxBatch })
  const abortable = pool.tasksPerThread === 1
  const graceful = plan.cancelGraceMs > 0
  // The stop cell only where the signal cannot be used, or must wait (a task that may finish on cancel): a
  // SharedArrayBuffer in a dispatch message makes the receiving thread build a new buffer object for it, every dispatch.
  const stop = abortable && !graceful ? undefined : new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT)
  // What piscina is given: the job's signal, or for a graceful cancel one that follows it CANCEL_GRACE_MS later (the
  // stop cell ends each dispatch after its running task; piscina terminates the thread of one that has not by then).
  const terminate = graceful ? new AbortController() : undefined
  let graceTimer: NodeJS.Timeout | undefined
  const onAbort = () => {
    if (stop) Atomics.store(new Int32Array(stop), 0, 1)
    if (terminate) graceTimer = setTimeout(() => terminate.abort(), plan.cancelGraceMs)
  }
  plan.signal.addEventListener('abort', onAbort, { once: true })
  const dispatchSignal = abortable ? (terminate?.signal ?? plan.signal) : undefined
  let deaths = 0
  const runStartedAt = epochNow()
  plan.window?.started()
  const { arrivals } = plan
  const nextIndices = nextIndicesOf(cursor, sizer, arrivals, runStartedAt, plan.signal)
  async function lane (): Promise<void> {
    while (!plan.signal.aborted && !cursor.exhausted) {
      const indices = await nextIndices()
      if (indices.length === 0) return
      // Closed loop: the lane (a concurrency slot) took the batch now; its tasks are due now, so the ones
      // behind others in the batch, or behind other dispatches in piscina's queue, show that wait as queueMs.
      const takenAt = epochNow()
      try {
        const task: PoolTask = stop ? { job: plan.job, indices, stop } : { job: plan.job, indices }
        // Shipped input: made here as the dispatch leaves, copied into the pool thread with it (structured clone).
        if (plan.inputOf) task.inputs = indices.map(plan.inputOf)
        const outcomes = await pool.run(task, dispatchSignal)
        for (const outcome of outcomes) outcome.dueAt = arrivals ? scheduledAt(arrivals, runStartedAt, outcome.index) : takenAt
        sizer.observe(outcomes)
        plan.onOutcomes(outcomes)
      } catch (error) {
        if (plan.signal.aborted) return
        deaths++
        const message = `pool thread died: ${(error as Error).message}`
        plan.onOutcomes(indices.map((index) => ({ index, ok: false, runMs: 0, error: message, worker: 'pool', lost: true as const })))
      }
    }
  }
  await Promise.all(Array.from({ length: lanes }, lane))
  clearTimeout(graceTimer)
  plan.window?.ended()
  plan.signal.removeEventListener('abort', onAbort)
  return { startupMs, teardownMs: 0, workerDeaths: deaths, dispatches: sizer.dispatches }
}

export const poolMode: ModeDefinition = {
  name: 'pool',
  description: 'the service\'s warm piscina pool (POOL_SIZE threads): ThreadPoolExecutor; reuse beats spawn',
  concurrencyMeans: 'dispatches in flight (MAX_CONCURRENCY)',
  batches: true,
  allowsCrashInjection: true,
  allowsBlockingDriver: true,
  warmsOwnWorkers: false,
  sharesMemory: true,
  workerMemoryBytes: 0,
  mainThread: false,
  singleTask: true,
  concurrencyLimit: (config) => ({ max: config.MAX_CONCURRENCY, variable: 'MAX_CONCURRENCY' }),
  // Dispatches beyond the pool's size wait in its queue: they add no worker.
  workersFor: (concurrency, config) => Math.min(concurrency, config.POOL_SIZE),
  liveWorkers: ({ pool }) => pool.readyThreads,
  run: runPool
}
