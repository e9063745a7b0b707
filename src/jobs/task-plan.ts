import type { Config } from '../config.js'
import { arrivalSchedule } from '../executors/arrivals.js'
import type { ExecutionPlan } from '../executors/executor.js'
import type { JobContext, TaskOutcome } from '../executors/messages.js'
import { Gil } from '../sync/gil.js'
import { workloads } from '../workloads/index.js'
import type { RunnerDeps } from './runner-deps.js'
import type { JobSpec } from './spec-service.js'

/**
 * Everything a worker needs to run a spec's tasks. The one place a JobContext is made: jobs, GET /work and timer
 * fires all run through it. `indexOffset` numbers a single task within a longer series (a timer's fires).
 */
export function jobContextOf (id: string, spec: JobSpec, shared: unknown, deps: Pick<RunnerDeps, 'upstreamUrl' | 'config'>, indexOffset = 0): JobContext {
  const context: JobContext = { jobId: id, workload: spec.workload, params: spec.params, seed: spec.seed, shared, upstreamUrl: deps.upstreamUrl, latencyCapMs: deps.config.MAX_LATENCY_MS }
  if (indexOffset !== 0) context.indexOffset = indexOffset
  if (spec.crashAtTask !== undefined) context.crashAtTask = spec.crashAtTask
  if (spec.gil) context.gil = { id, switchIntervalMs: spec.switchIntervalMs, buffer: Gil.allocate() }
  if (workloads[spec.workload].shippedBytes?.(spec.params) !== undefined) context.inputShipped = true
  return context
}

/**
 * Bytes of shipped input one dispatch carries at most under batch 'auto' (a fixed batch is the client's choice, and
 * the memory budget counts it). A big message goes through a child's 64-KiB pipe in many hops while the child's
 * event loop is busy with the chunk before: measured on the 2-core VM (256 tasks of 1 MiB, 2 processes), 8 tasks per
 * chunk took 974 ms, 2 per chunk 404 ms, 1 per chunk 446 ms. It also bounds what both sides hold.
 */
export const SHIPPED_DISPATCH_BYTES = 2 * 1024 * 1024

/** Under batch 'auto', the most tasks one dispatch carries: MAX_BATCH, or fewer when each task ships its input. */
export function tasksPerShippedDispatch (config: Config, shippedBytes: number | undefined): number {
  if (shippedBytes === undefined) return config.MAX_BATCH
  return Math.max(1, Math.min(config.MAX_BATCH, Math.floor(SHIPPED_DISPATCH_BYTES / Math.max(shippedBytes, 1))))
}

/** What the executor of `spec.mode` is asked to do; `awaitWarmWorkers` for a job's measured run (see ExecutionPlan). */
export function executionPlanOf (spec: JobSpec, job: JobContext, config: Config, signal: AbortSignal, onOutcomes: (outcomes: TaskOutcome[]) => void, awaitWarmWorkers: boolean): ExecutionPlan {
  const workload = workloads[spec.workload]
  const shippedBytes = workload.shippedBytes?.(spec.params)
  const plan: ExecutionPlan = {
    job,
    tasks: spec.tasks,
    concurrency: spec.concurrency,
    batch: spec.batch,
    autoBatchMs: config.AUTO_BATCH_MS,
    maxBatch: tasksPerShippedDispatch(config, shippedBytes),
    signal,
    cancelGraceMs: workload.finishesTaskOnCancel ? config.CANCEL_GRACE_MS : 0,
    yieldEveryMs: config.INLINE_YIELD_MS,
    workerHeapMb: config.WORKER_MAX_HEAP_MB,
    onOutcomes,
    awaitWarmWorkers
  }
  const { taskInput } = workload
  if (shippedBytes !== undefined && taskInput) {
    // The sending side makes each task's input as it dispatches it (the task numbers as the task function sees them).
    const source = { seed: job.seed, shared: job.shared }
    plan.inputOf = (index) => taskInput(spec.params, source, index + (job.indexOffset ?? 0))
  }
  if (spec.rate !== undefined) plan.arrivals = arrivalSchedule(spec.tasks, spec.rate, spec.arrivals ?? 'constant', spec.seed)
  return plan
}
