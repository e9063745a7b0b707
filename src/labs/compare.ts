import { InvalidField } from '../errors.js'
import type { Mode } from '../executors/executor.js'
import { BASELINE_MODE } from '../executors/registry.js'
import type { Job } from '../jobs/job.js'
import type { JobScheduler } from '../jobs/job-scheduler.js'
import type { JobSpec, SpecService } from '../jobs/spec-service.js'
import { compareWarmup, type CompareBody, type CompareRow, type Comparison, type SkippedRun } from './compare-schema.js'
import { scalingOf } from './compare-scaling.js'

/**
 * The mode comparison: one workload spec run as one job per (mode, concurrency), one after another through the
 * service's scheduler, each measured against `inline` at concurrency 1 (the baseline, always run first).
 *
 *   plan:  body → baseline spec + a job spec per combination (the spec service rejects some: those are skipped)
 *   run:   submit → await job.ended() → next          (a stop signal cancels the current job and submits no more)
 *   rows:  each job's report → speedup, efficiency, Karp–Flatt serial fraction
 *   scaling: per mode, the Universal Scalability Law fitted to its rows (compare-scaling.ts, usl-fit.ts)
 */

export interface PlannedRun {
  mode: Mode
  concurrency: number
  baseline: boolean
  spec: JobSpec
}

export interface ComparePlan {
  /** the baseline first, then every accepted combination in the order asked */
  runs: PlannedRun[]
  skipped: SkippedRun[]
  /** what every run shares */
  shared: Record<string, unknown>
}

export interface CompareContext {
  specs: SpecService
  cores: number
}

/** Checks the size of the experiment and makes every run's job spec; throws a 400 for a bad body. */
export function planComparison (body: CompareBody, { specs }: CompareContext): ComparePlan {
  const { config } = specs
  const { modes, concurrency: levels } = body
  const runCount = modes.length * levels.length
  if (runCount > config.MAX_COMPARE_RUNS) {
    throw new InvalidField(`body/modes × body/concurrency must be <= ${config.MAX_COMPARE_RUNS} runs (MAX_COMPARE_RUNS); got ${modes.length} × ${levels.length} = ${runCount}`)
  }
  const passThrough = Object.fromEntries(Object.entries({ gil: body.gil, switchIntervalMs: body.switchIntervalMs })
    .filter(([, value]) => value !== undefined))
  // The spec service fills the job spec's own defaults (startDelayMs, and any field added later) and the params'.
  const specFor = (mode: Mode, concurrency: number): JobSpec => specs.normalize({
    workload: body.workload,
    mode,
    tasks: body.tasks,
    concurrency,
    // batch means tasks per dispatch, which only the batching modes have; the others run it as 1.
    batch: specs.modes.get(mode).batches ? body.batch : 1,
    params: body.params,
    seed: body.seed,
    timeoutMs: body.timeoutMs,
    warmup: body.warmup ?? compareWarmup(concurrency, body.tasks),
    ...passThrough
  })

  // Without its baseline nothing can be compared: a spec it rejects is the whole experiment's 400.
  const baseline = specFor(BASELINE_MODE, 1)
  const runs: PlannedRun[] = [{ mode: BASELINE_MODE, concurrency: 1, baseline: true, spec: baseline }]
  const skipped: SkippedRun[] = []
  for (const mode of modes) {
    for (const concurrency of levels) {
      if (mode === BASELINE_MODE && concurrency === 1) continue // the baseline is this run
      try {
        runs.push({ mode, concurrency, baseline: false, spec: specFor(mode, concurrency) })
      } catch (error) {
        // A spec the service refuses (400) is a skipped combination; anything else is a bug, not a reason.
        if ((error as { statusCode?: number }).statusCode !== 400) throw error
        skipped.push({ mode, concurrency, reason: (error as Error).message })
      }
    }
  }
  const { mode: _mode, concurrency: _concurrency, batch: _batch, ...shared } = baseline
  return { runs, skipped, shared: { ...shared, batch: body.batch } }
}

export interface FinishedRun {
  run: PlannedRun
  job: Job
}

/**
 * Runs the plan one job at a time. Once `signal` aborts (the client went away), the job running is cancelled and
 * the rest are listed as not run. A job the scheduler refuses (queue full, shutting down) is listed as not run,
 * except the baseline, whose error is thrown: without it nothing can be compared.
 */
export async function executePlan (plan: ComparePlan, scheduler: JobScheduler, signal: AbortSignal): Promise<{ finished: FinishedRun[], notRun: SkippedRun[] }> {
  const finished: FinishedRun[] = []
  const notRun: SkippedRun[] = []
  let current: Job | undefined
  const stop = () => {
    if (current && !current.isFinished) scheduler.cancel(current.id).catch(() => {})
  }
  signal.addEventListener('abort', stop, { once: true })
  try {
    for (const run of plan.runs) {
      if (signal.aborted) {
        notRun.push({ mode: run.mode, concurrency: run.concurrency, reason: 'not run: the experiment was stopped (client disconnected)' })
        continue
      }
      try {
        current = scheduler.submit(run.spec)
      } catch (error) {
        if (run.baseline) throw error
        notRun.push({ mode: run.mode, concurrency: run.concurrency, reason: `not run: ${(error as Error).message}` })
        continue
      }
      await current.ended()
      finished.push({ run, job: current })
    }
  } finally {
    signal.removeEventListener('abort', stop)
  }
  return { finished, notRun }
}

/** Karp–Flatt experimentally determined serial fraction: e = (1/S − 1/p) / (1 − 1/p); null for one worker. */
export function karpFlatt (speedup: number, workers: number): number | null {
  if (workers <= 1 || speedup <= 0) return null
  return (1 / speedup - 1 / workers) / (1 - 1 / workers)
}

const round = (value: number, digits = 4) => Number(value.toFixed(digits))
const roundOrNull = (value: number | null) => value === null ? null : round(value)

export function rowOf ({ run, job }: FinishedRun, baselineWallMs: number | null, cores: number, specs: SpecService): CompareRow {
  const report = job.report
  const workers = specs.modes.get(run.mode).workersFor(run.concurrency, specs.config)
  const wallMs = report?.wallMs ?? null
  const speedup = job.status === 'succeeded' && baselineWallMs !== null && wallMs !== null && wallMs > 0
    ? baselineWallMs / wallMs
    : null
  const efficiency = speedup === null ? null : speedup / workers
  const serialFraction = speedup === null ? null : karpFlatt(speedup, workers)
  return {
    mode: run.mode,
    concurrency: run.concurrency,
    workers,
    baseline: run.baseline,
    status: job.status,
    jobId: job.id,
    error: job.error,
    wallMs,
    tasksPerSec: report?.tasksPerSec ?? null,
    speedup: roundOrNull(speedup),
    efficiency: roundOrNull(efficiency),
    efficiencyPerCore: speedup === null ? null : round(speedup / cores),
    serialFraction: roundOrNull(serialFraction),
    cpuUtilization: report?.cpu.utilization ?? null,
    coresUsed: report?.cpu.coresUsed ?? null,
    startupMs: report?.startupMs ?? null,
    warnings: [...report?.warnings ?? [], ...impossibleValues(efficiency, serialFraction)]
  }
}

/** Beyond noise, more speedup than workers means the baseline ran slower per task than a worker did. */
const EFFICIENCY_SLACK = 0.02

/** Values a correct measurement cannot produce: flagged beside the number, so no one reads them as a result. */
function impossibleValues (efficiency: number | null, serialFraction: number | null): string[] {
  const flags: string[] = []
  if (efficiency !== null && efficiency > 1 + EFFICIENCY_SLACK) {
    flags.push(`impossible: efficiency ${efficiency.toFixed(2)} > 1, more speedup than workers: the baseline ran slower per task than a worker (cold, or disturbed: see its warnings)`)
  }
  if (serialFraction !== null && (serialFraction < -EFFICIENCY_SLACK || serialFraction > 1 + EFFICIENCY_SLACK)) {
    flags.push(`impossible: serial fraction ${serialFraction.toFixed(2)} outside 0…1 (Karp–Flatt assumes the baseline's per-task cost)`)
  }
  return flags
}

/** Runs a plan and tabulates it (the route's whole work but validation and the HTTP). */
export async function runComparison (plan: ComparePlan, context: CompareContext & { scheduler: JobScheduler }, signal: AbortSignal): Promise<Omit<Comparison, 'cpython'>> {
  const started = performance.now()
  const { finished, notRun } = await executePlan(plan, context.scheduler, signal)
  const baselineJob = finished.find(({ run }) => run.baseline)?.job
  const baselineWallMs = baselineJob?.status === 'succeeded' ? baselineJob.report?.wallMs ?? null : null
  const poolSize = context.specs.config.POOL_SIZE
  const rows = finished.map((done) => rowOf(done, baselineWallMs, context.cores, context.specs))
  return {
    spec: plan.shared,
    cores: context.cores,
    poolSize,
    baseline: { wallMs: baselineJob?.report?.wallMs ?? null, status: baselineJob?.status ?? null, jobId: baselineJob?.id ?? null },
    rows,
    skipped: [...plan.skipped, ...notRun],
    scaling: scalingOf(rows),
    env: finished.find(({ job }) => job.report)?.job.report?.env ?? null,
    elapsedMs: round(performance.now() - started, 1)
  }
}
