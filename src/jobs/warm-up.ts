import type { Config } from '../config.js'
import type { WarmupDone } from '../executors/executor.js'
import type { Job } from './job.js'
import type { RunnerDeps } from './runner-deps.js'
import type { JobSpec } from './spec-service.js'
import { executionPlanOf, jobContextOf } from './task-plan.js'

/** The measured job's own spec, cut to a closed-loop run of `tasks` tasks without fault injection. */
function warmupSpec (spec: JobSpec, tasks: number): JobSpec {
  const { rate: _rate, arrivals: _arrivals, crashAtTask: _crash, ...rest } = spec
  // Derived from a spec the spec service made, with fewer demands: not a new input to check.
  return { ...rest, tasks } as JobSpec
}

/**
 * Runs the spec's `warmup` first, through the same mode's executor with the same concurrency, batch, params and
 * seed (task indices after the job's own, so results differ from the measured tasks'), so JIT compilation, the pool
 * threads' per-thread data and the caches are warm when the window opens (hyperfine's --warmup). `{ tasks }` runs
 * that many; `{ ms }` runs rounds that double in size until that long has passed. Warm-up tasks count in the task
 * metrics with source "warmup" and nowhere else. Stops early when the job is stopped.
 * A mode that starts its own workers per job runs the warm-up inside them instead (ExecutionPlan.warmup): null here.
 */
export async function warmUp (job: Job, deps: RunnerDeps, shared: unknown): Promise<WarmupDone | null> {
  const { spec } = job
  const mode = deps.modes.get(spec.mode)
  if (!spec.warmup || mode.warmsOwnWorkers) return null
  const observe = deps.observeTasks?.({ mode: spec.mode, workload: spec.workload, source: 'warmup' })
  const started = performance.now()
  let done = 0
  const round = async (tasks: number) => {
    const roundSpec = warmupSpec(spec, tasks)
    const context = jobContextOf(job.id, roundSpec, shared, deps, spec.tasks + done)
    const plan = executionPlanOf(roundSpec, context, deps.config, job.signal, (outcomes) => observe?.(outcomes), true)
    plan.taskSource = 'warmup'
    await mode.run(plan, deps.runtime)
    done += tasks
  }
  if (spec.warmup.tasks !== undefined) {
    await round(spec.warmup.tasks)
  } else if (spec.warmup.ms !== undefined) {
    const untilMs = started + spec.warmup.ms
    let tasks = Math.max(spec.concurrency, 1)
    while (!job.signal.aborted && performance.now() < untilMs) {
      const roundStarted = performance.now()
      await round(tasks)
      const perTaskMs = Math.max((performance.now() - roundStarted) / tasks, 1e-3)
      // Double, but not far past the deadline: about what is left of it at the last round's pace.
      tasks = Math.max(1, Math.min(tasks * 2, Math.ceil((untilMs - performance.now()) / perTaskMs), maxRound(deps.config)))
    }
  }
  return { tasks: done, ms: Number((performance.now() - started).toFixed(3)) }
}

const maxRound = (config: Config) => config.MAX_TASKS
