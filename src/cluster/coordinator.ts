import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { epochNow, scheduledAt } from '../executors/arrivals.js'
import { BatchSizer } from '../executors/batch-sizer.js'
import type { ExecutionPlan, ExecutionResult } from '../executors/executor.js'
import type { TaskOutcome } from '../executors/messages.js'
import { nextIndicesOf } from '../executors/next-indices.js'
import { TaskCursor } from '../executors/task-cursor.js'
import type { ClusterEngine, SliceEnd } from './cluster-engine.js'
import { ReplicaMerge } from './replica-merge.js'
import type { SliceData } from './slice-schema.js'

/** How often slices still waited for are read from Redis (an event missed) and Redis's reachability is checked. */
const POLL_MS = 500
/** A lane that could not add its slice (Redis away) tries again after this long, until the watch gives up on Redis. */
const RETRY_ADD_MS = 200

/**
 * Runs a cluster job from the replica that received it (the coordinator): `concurrency` lanes, each handing one
 * slice at a time to the queue and waiting for its end, as the pool mode's lanes hand batches to the pool. Slices
 * are sized as batch auto sizes a pool dispatch, with CLUSTER_SLICE_MS as the target, and never more than half of
 * what is left per lane, so every replica stays busy to the end. Any replica's worker takes a slice, runs it in its
 * own pool and sends back a summary (counts, histograms, its CPU), which is merged exactly.
 *
 * Each slice's end is taken once (its BullMQ id is the key): a slice whose replica died runs again elsewhere
 * (BullMQ's stalled recovery) and only the run that completes counts. A cancel tells every replica at once
 * (pub/sub) and takes waiting slices out of the queue. If Redis stays unreachable for CLUSTER_REDIS_TIMEOUT_MS the
 * job ends with fatalDependency and what was merged so far.
 */
export async function runClusterJob (plan: ExecutionPlan, engine: ClusterEngine): Promise<ExecutionResult> {
  const { config } = engine
  const jobId = plan.job.jobId
  // Slice ids are unique per run, not per job: a warm-up's slices of the same job stay in Redis for a while, and
  // BullMQ ignores an add whose id it already has.
  const run = randomUUID().slice(0, 8)
  const stop = new AbortController()
  let fatal: string | undefined
  const onAbort = () => {
    stop.abort()
    engine.announce('cancel', jobId).catch(() => {})
  }
  plan.signal.addEventListener('abort', onAbort, { once: true })
  if (plan.signal.aborted) onAbort()
  const cursor = new TaskCursor(plan.tasks)
  const lanes = Math.min(plan.concurrency, Math.ceil(plan.tasks / (plan.batch === 'auto' ? 1 : plan.batch)))
  const sizer = new BatchSizer({ setting: plan.batch, lanes, targetMs: config.CLUSTER_SLICE_MS, maxBatch: plan.maxBatch })
  const merge = new ReplicaMerge()
  const waiting = new Set<string>()
  let slices = 0
  let retried = 0
  const runStartedAt = epochNow()
  plan.window?.started()
  const { arrivals } = plan
  const base: Omit<SliceData, 'indices' | 'dueAt'> = {
    jobId,
    coordinator: engine.replica,
    workload: plan.job.workload,
    params: plan.job.params,
    seed: plan.job.seed,
    latencyCapMs: plan.job.latencyCapMs,
    source: plan.taskSource ?? 'job'
  }
  if (plan.job.crashAtTask !== undefined) base.crashAtTask = plan.job.crashAtTask
  if (plan.job.indexOffset !== undefined) base.indexOffset = plan.job.indexOffset
  if (plan.job.gil) base.gil = { switchIntervalMs: plan.job.gil.switchIntervalMs }

  // Redis's reachability, and the slices whose end event may have been missed.
  const watch = setInterval(() => {
    if (engine.downForMs() > config.CLUSTER_REDIS_TIMEOUT_MS) {
      fatal ??= `${engine.downReason()} for more than ${config.CLUSTER_REDIS_TIMEOUT_MS} ms (CLUSTER_REDIS_TIMEOUT_MS): the job stopped after ${slices} slices were handed out`
      stop.abort()
      return
    }
    engine.poll([...waiting]).catch(() => {})
  }, POLL_MS)

  const nextIndices = nextIndicesOf(cursor, sizer, arrivals, runStartedAt, stop.signal)
  const lost = (indices: number[], message: string): TaskOutcome[] => indices.map((index) => ({ index, ok: false, runMs: 0, error: message, worker: 'cluster', lost: true as const }))

  /**
   * Adds the slice until Redis takes it, then waits for its end; undefined once the job is stopped. An add whose
   * answer was lost may have reached Redis: the retry adds the same id with the same tasks, which BullMQ ignores
   * if it has it, so no task can run under two slices.
   */
  async function addAndWait (id: string, data: SliceData, ended: Promise<SliceEnd>): Promise<SliceEnd | undefined> {
    for (;;) {
      if (stop.signal.aborted) return undefined
      try {
        await engine.add(id, data)
        break
      } catch {
        await sleep(RETRY_ADD_MS, undefined, { signal: stop.signal }).catch(() => {})
      }
    }
    return await untilAborted(ended, stop.signal)
  }

  async function lane (): Promise<void> {
    while (!stop.signal.aborted && !cursor.exhausted) {
      const indices = await nextIndices()
      if (indices.length === 0) return
      // Closed loop: the tasks are due when the lane takes them; time in Redis and in a replica's queue is queueMs.
      const takenAt = epochNow()
      const id = `${jobId}-${run}-s${slices++}`
      const ended = engine.finished(id)
      waiting.add(id)
      let end: SliceEnd | undefined
      try {
        end = await addAndWait(id, { ...base, indices, dueAt: arrivals ? indices.map((index) => scheduledAt(arrivals, runStartedAt, index)) : takenAt }, ended)
      } finally {
        engine.forget(id)
      }
      // Stopped: the slice stays in `waiting`, to be taken out of the queue if no replica has started it.
      if (!end) return
      waiting.delete(id)
      if (end.ok) {
        const { summary } = end.result
        sizer.observeTotal(summary.latency.sum, summary.latency.count)
        merge.add(end.result)
        engine.trace({ slice: id, job: jobId, source: base.source, ranOn: end.result.replica, tasks: summary.done + summary.failed, stalledBefore: end.result.stalledBefore }, 'cluster slice merged')
        if (end.result.stalledBefore > 0) retried++
        plan.onSummary?.(summary)
      } else {
        plan.onOutcomes(lost(indices, `slice ${id} failed: ${end.reason}`))
      }
    }
  }
  try {
    await Promise.all(Array.from({ length: lanes }, lane))
  } finally {
    plan.window?.ended()
    clearInterval(watch)
    plan.signal.removeEventListener('abort', onAbort)
  }
  const teardownStarted = performance.now()
  if (stop.signal.aborted) await engine.withdraw(waiting).catch(() => {})
  // Every replica may drop the job's resources now (best effort: an idle timeout removes them otherwise).
  await engine.announce('end', jobId).catch(() => {})
  const result: ExecutionResult = {
    startupMs: 0,
    teardownMs: performance.now() - teardownStarted,
    workerDeaths: 0,
    dispatches: slices,
    byReplica: merge.rows(),
    retriedSlices: retried,
    cpuCovers: `cpu is the coordinating replica's (${engine.replica}) process and machine, its share of the slices included; each replica's is in byReplica, and replicas on one machine show each other's work in perCore`
  }
  if (fatal) result.fatalDependency = fatal
  return result
}

/** The slice's end, or undefined once the job is stopped (a cancel does not wait for slices in flight). */
async function untilAborted (ended: Promise<SliceEnd>, signal: AbortSignal): Promise<SliceEnd | undefined> {
  if (signal.aborted) return undefined
  let onAbort!: () => void
  const aborted = new Promise<undefined>((resolve) => { onAbort = () => resolve(undefined) })
  signal.addEventListener('abort', onAbort, { once: true })
  try {
    return await Promise.race([ended, aborted])
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}
