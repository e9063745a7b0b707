import type { Config } from '../config.js'
import { arrivalSchedule } from '../executors/arrivals.js'
import type { ExecutionPlan } from '../executors/executor.js'
import type { JobContext, TaskOutcome } from '../executors/messages.js'
import { Gil } from '../sync/gil.js'
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
  return context
}

/** What the executor of `spec.mode` is asked to do; `awaitWarmWorkers` for a job's measured run (see ExecutionPlan). */
export function executionPlanOf (spec: JobSpec, job: JobContext, config: Config, signal: AbortSignal, onOutcomes: (outcomes: TaskOutcome[]) => void, awaitWarmWorkers: boolean): ExecutionPlan {
  const plan: ExecutionPlan = {
    job,
    tasks: spec.tasks,
    concurrency: spec.concurrency,
    batch: spec.batch,
    autoBatchMs: config.AUTO_BATCH_MS,
    maxBatch: config.MAX_BATCH,
    signal,
    yieldEveryMs: config.INLINE_YIELD_MS,
    workerHeapMb: config.WORKER_MAX_HEAP_MB,
    onOutcomes,
    awaitWarmWorkers
  }
  if (spec.rate !== undefined) plan.arrivals = arrivalSchedule(spec.tasks, spec.rate, spec.arrivals ?? 'constant', spec.seed)
  return plan
}
