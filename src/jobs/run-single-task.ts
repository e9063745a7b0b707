import type { TaskOutcome } from '../executors/messages.js'
import { ClientGone, WorkBusy, withRetryAfter } from '../errors.js'
import { workloads } from '../workloads/index.js'
import type { PreparedJob } from '../workloads/workload.js'
import type { RunnerDeps, TaskSource } from './runner-deps.js'
import type { JobSpec } from './spec-service.js'
import { executionPlanOf, jobContextOf } from './task-plan.js'

export interface SingleTaskOptions {
  /** names its resources (temp dir) and its GIL: the request id, or the timer and fire */
  id: string
  source: TaskSource
  /** the task's number in a longer series (a timer's fire − 1), so its seeded data differs from fire to fire */
  indexOffset?: number
  /** aborted when whoever asked for the task is gone (GET /work's client disconnected): it is dropped or stopped */
  signal?: AbortSignal
}

/**
 * Runs a one-task spec (GET /work, a timer fire) the way a job runs its tasks: the workload's resources, the same
 * JobContext, the mode's own executor, and the task metrics (labelled with its source) — only without a job,
 * a report or a place in the scheduler's queue; it needs one of the task slots (MAX_WORK_IN_FLIGHT) or is refused. Resolves with the task's outcome; a failed task is an outcome
 * with ok: false, never a throw.
 */
export async function runSingleTask (deps: RunnerDeps, spec: JobSpec, options: SingleTaskOptions): Promise<TaskOutcome> {
  const release = deps.admission.tasks.tryClaim()
  if (!release) throw withRetryAfter(new WorkBusy(deps.admission.tasks.inFlight), 1)
  let prepared: PreparedJob | undefined
  try {
    prepared = await workloads[spec.workload].prepare?.(spec.params, { jobId: options.id, seed: spec.seed })
    const context = jobContextOf(options.id, spec, prepared?.shared, deps, options.indexOffset)
    const observe = deps.observeTasks?.({ mode: spec.mode, workload: spec.workload, source: options.source })
    const outcomes: TaskOutcome[] = []
    const plan = executionPlanOf(spec, context, deps.config, options.signal ?? new AbortController().signal, (arrived) => {
      outcomes.push(...arrived)
      observe?.(arrived)
    }, false)
    const result = await deps.modes.get(spec.mode).run(plan, deps.runtime)
    if (result.childCpu) deps.observeChildCpu?.(result.childCpu)
    deps.warmed.add(`${spec.mode}/${spec.workload}`)
    const [outcome] = outcomes
    if (!outcome && options.signal?.aborted) throw new ClientGone()
    if (!outcome) throw new Error(result.fatalError ?? `mode ${spec.mode} answered no outcome for the task`)
    return outcome
  } finally {
    try {
      await prepared?.cleanup()
    } finally {
      release()
    }
  }
}
