import type { TSchema } from 'typebox'
import { Default } from 'typebox/value'
import type { Config } from '../config.js'
import { InvalidField } from '../errors.js'
import type { Mode } from '../executors/executor.js'
import type { Job } from '../jobs/job.js'
import type { JobScheduler } from '../jobs/job-scheduler.js'
import { checkJobSpec, jobSpecSchema, withParamDefaults, type JobSpec } from '../jobs/job-spec.js'
import type { WorkloadName } from '../workloads/index.js'
import type { CompareBody, CompareRow, Comparison, SkippedRun } from './compare-schema.js'

/**
 * The mode comparison: one workload spec run as one job per (mode, concurrency), one after another through the
 * service's scheduler, each measured against `inline` at concurrency 1 (the baseline, always run first).
 *
 *   plan:  body → baseline spec + a job spec per combination (checkJobSpec rejects some: those are skipped)
 *   run:   submit → await job.ended() → next          (a stop signal cancels the current job and submits no more)
 *   rows:  each job's report → speedup, efficiency, Karp–Flatt serial fraction
 */

const BATCHED_MODES: ReadonlySet<Mode> = new Set(['pool', 'processes'])

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
  config: Config
  paramsSchemas: Record<WorkloadName, TSchema>
  cores: number
}

/** Checks the size of the experiment and makes every run's job spec; throws InvalidField (400) for a bad body. */
export function planComparison (body: CompareBody, { config, paramsSchemas }: CompareContext): ComparePlan {
  const { modes, concurrency: levels } = body
  const runCount = modes.length * levels.length
  if (runCount > config.MAX_COMPARE_RUNS) {
    throw new InvalidField(`body/modes × body/concurrency must be <= ${config.MAX_COMPARE_RUNS} runs (MAX_COMPARE_RUNS); got ${modes.length} × ${levels.length} = ${runCount}`)
  }
  const jobSchema = jobSpecSchema(config, paramsSchemas)
  const passThrough = Object.fromEntries(Object.entries({ gil: body.gil, switchIntervalMs: body.switchIntervalMs })
    .filter(([, value]) => value !== undefined))
  const specFor = (mode: Mode, concurrency: number): JobSpec => {
    const spec = {
      workload: body.workload,
      mode,
      tasks: body.tasks,
      concurrency,
      // batch means tasks per dispatch, which only pool and processes have; the other modes run it as 1.
      batch: BATCHED_MODES.has(mode) ? body.batch : 1,
      params: body.params,
      seed: body.seed,
      timeoutMs: body.timeoutMs,
      ...passThrough
    }
    // The job spec's own defaults (startDelayMs, and any field added later), then the workload's params defaults.
    return withParamDefaults(Default(jobSchema, structuredClone(spec)) as JobSpec, paramsSchemas)
  }

  // Without its baseline nothing can be compared: a spec it rejects is the whole experiment's 400.
  const baseline = specFor('inline', 1)
  const problem = checkJobSpec(baseline, config)
  if (problem) throw new InvalidField(problem)

  const runs: PlannedRun[] = [{ mode: 'inline', concurrency: 1, baseline: true, spec: baseline }]
  const skipped: SkippedRun[] = []
  for (const mode of modes) {
    for (const concurrency of levels) {
      if (mode === 'inline' && concurrency === 1) continue // the baseline is this run
      const spec = specFor(mode, concurrency)
      const reason = checkJobSpec(spec, config)
      if (reason) skipped.push({ mode, concurrency, reason })
      else runs.push({ mode, concurrency, baseline: false, spec })
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

/** threads and processes run `concurrency` workers; the pool at most its size; inline and async one thread. */
export function workersOf (mode: Mode, concurrency: number, poolSize: number): number {
  switch (mode) {
    case 'threads':
    case 'processes':
      return concurrency
    case 'pool':
      return Math.min(concurrency, poolSize)
    default:
      return 1
  }
}

/** Karp–Flatt experimentally determined serial fraction: e = (1/S − 1/p) / (1 − 1/p); null for one worker. */
export function karpFlatt (speedup: number, workers: number): number | null {
  if (workers <= 1 || speedup <= 0) return null
  return (1 / speedup - 1 / workers) / (1 - 1 / workers)
}

const round = (value: number, digits = 4) => Number(value.toFixed(digits))
const roundOrNull = (value: number | null) => value === null ? null : round(value)

export function rowOf ({ run, job }: FinishedRun, baselineWallMs: number | null, cores: number, poolSize: number): CompareRow {
  const report = job.report
  const workers = workersOf(run.mode, run.concurrency, poolSize)
  const wallMs = report?.wallMs ?? null
  const speedup = job.status === 'succeeded' && baselineWallMs !== null && wallMs !== null && wallMs > 0
    ? baselineWallMs / wallMs
    : null
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
    efficiency: speedup === null ? null : round(speedup / workers),
    efficiencyPerCore: speedup === null ? null : round(speedup / cores),
    serialFraction: speedup === null ? null : roundOrNull(karpFlatt(speedup, workers)),
    cpuUtilization: report?.cpu.utilization ?? null,
    coresUsed: report?.cpu.coresUsed ?? null,
    startupMs: report?.startupMs ?? null
  }
}

/** Runs a plan and tabulates it (the route's whole work but validation and the HTTP). */
export async function runComparison (plan: ComparePlan, context: CompareContext & { scheduler: JobScheduler }, signal: AbortSignal): Promise<Comparison> {
  const started = performance.now()
  const { finished, notRun } = await executePlan(plan, context.scheduler, signal)
  const baselineJob = finished.find(({ run }) => run.baseline)?.job
  const baselineWallMs = baselineJob?.status === 'succeeded' ? baselineJob.report?.wallMs ?? null : null
  const poolSize = context.config.POOL_SIZE
  return {
    spec: plan.shared,
    cores: context.cores,
    poolSize,
    baseline: { wallMs: baselineJob?.report?.wallMs ?? null, status: baselineJob?.status ?? null, jobId: baselineJob?.id ?? null },
    rows: finished.map((done) => rowOf(done, baselineWallMs, context.cores, poolSize)),
    skipped: [...plan.skipped, ...notRun],
    env: finished.find(({ job }) => job.report)?.job.report?.env ?? null,
    elapsedMs: round(performance.now() - started, 1)
  }
}
