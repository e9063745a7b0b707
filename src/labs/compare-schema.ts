import { Type, type Static, type TSchema } from 'typebox'
import type { Mode } from '../executors/executor.js'
import { BASELINE_MODE } from '../executors/registry.js'
import { JOB_STATUSES } from '../jobs/job.js'
import type { batchSchema } from '../jobs/job-spec-schema.js'
import type { SpecService } from '../jobs/spec-service.js'
import { MachineSchema } from '../measure/report-schema.js'
import { cpythonAnswerSchema, cpythonRequestSchema } from '../cpython/cpython-schema.js'
import { CpythonCompareResultSchema } from './compare-cpython.js'
import { StringEnum } from '../schema-helpers.js'
import type { WorkloadName } from '../workloads/index.js'

/** Job-spec fields a comparison shares across all its runs (the job spec's own schemas, limits and defaults). */
const SHARED_FIELDS = ['workload', 'params', 'tasks', 'seed', 'batch', 'timeoutMs'] as const
/** Optional job-spec fields passed through to every run, when given and when the job spec schema has them. */
const PASS_THROUGH_FIELDS = ['gil', 'switchIntervalMs', 'warmup'] as const

/**
 * Every run of a comparison warms up unless the body says otherwise (a cold first run skews its speedups): two
 * tasks per concurrency slot, so every worker has compiled the task and made its per-thread data.
 */
export const compareWarmup = (concurrency: number, tasks: number) => ({ tasks: Math.min(2 * concurrency, tasks) })

/** The levels asked when `concurrency` is left out: 1, 2 and the cores, without repeats. */
export function defaultLevels (cores: number): number[] {
  return [...new Set([1, 2, cores])]
}

/**
 * The body of POST /experiments/compare. The shared fields are the job spec's own property schemas (and its
 * if/then on `params`), so a compare body fails exactly where a job spec would, with the same message.
 */
export function compareBodySchema (specs: SpecService, cores: number) {
  const { config, modes } = specs
  const job = specs.schema
  const properties = job.properties as Record<string, TSchema>
  const shared = Object.fromEntries(SHARED_FIELDS.map((name) => [name, properties[name]!]))
  // Without its default, so the field reaches a job spec only when the client gave it.
  const passThrough = Object.fromEntries(PASS_THROUGH_FIELDS.filter((name) => properties[name] !== undefined)
    .map((name) => {
      const { default: _default, ...schema } = properties[name]! as TSchema & { default?: unknown }
      return [name, Type.Optional(schema as TSchema)]
    }))
  const limits = modes.all.map((mode) => mode.concurrencyLimit(config))
  const maxLevel = Math.max(...limits.map((limit) => limit.max))
  const limitVariables = [...new Set(limits.map((limit) => limit.variable).filter((variable) => /^[A-Z0-9_]+$/.test(variable)))].join(', ')
  return Type.Object({
    ...shared,
    ...passThrough,
    modes: Type.Array(StringEnum(modes.names), {
      minItems: 1,
      uniqueItems: true,
      // What this configuration can run (without REDIS_URL, not cluster); an unavailable mode named here is skipped with why.
      default: modes.names.filter((name) => !(name in modes.unavailable(config))),
      description: `modes to run; ${BASELINE_MODE} at concurrency 1 always runs first as the baseline`
    }),
    concurrency: Type.Array(Type.Integer({ minimum: 1, maximum: maxLevel, description: `a concurrency level (${limitVariables})` }), {
      minItems: 1,
      maxItems: config.MAX_COMPARE_RUNS,
      uniqueItems: true,
      default: defaultLevels(cores),
      description: `concurrency levels to run each mode at (default 1, 2 and the cores: ${defaultLevels(cores).join(', ')}); modes × levels <= MAX_COMPARE_RUNS`
    }),
    cpython: cpythonRequestSchema()
  }, { additionalProperties: false, allOf: (job as { allOf?: unknown }).allOf })
}

/** The validated body (the schema fills every default but the pass-through fields). */
export interface CompareBody {
  workload: WorkloadName
  params: Record<string, unknown>
  tasks: number
  seed: number
  batch: Static<ReturnType<typeof batchSchema>>
  timeoutMs: number
  gil?: boolean
  switchIntervalMs?: number
  warmup?: { tasks?: number, ms?: number }
  modes: Mode[]
  concurrency: number[]
  /** also run python/compare.py after the Node runs */
  cpython: boolean
}

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()])

export const CompareRowSchema = Type.Object({
  mode: Type.String({ description: 'one of the modes GET / lists' }),
  concurrency: Type.Integer(),
  workers: Type.Integer({ description: 'threads or processes that ran tasks: concurrency (threads, processes), min(concurrency, POOL_SIZE) (pool), 1 (inline, async)' }),
  baseline: Type.Boolean({ description: 'the inline run at concurrency 1 every speedup is measured against' }),
  status: StringEnum(JOB_STATUSES),
  jobId: Type.String({ description: 'GET /jobs/:id has its full report (while the service keeps it, MAX_STORED_JOBS)' }),
  error: Nullable(Type.Object({ code: Type.String(), message: Type.String() })),
  wallMs: Nullable(Type.Number({ description: 'report.wallMs (a partial run\'s if it failed or was cancelled)' })),
  tasksPerSec: Nullable(Type.Number()),
  speedup: Nullable(Type.Number({ description: 'baseline.wallMs ÷ wallMs; null unless both runs succeeded' })),
  efficiency: Nullable(Type.Number({ description: 'speedup ÷ workers' })),
  efficiencyPerCore: Nullable(Type.Number({ description: 'speedup ÷ cores' })),
  serialFraction: Nullable(Type.Number({ description: 'Karp–Flatt: (1/speedup − 1/p) ÷ (1 − 1/p), p = workers; null when p = 1' })),
  cpuUtilization: Nullable(Type.Number({ description: 'report.cpu.utilization, 0…1' })),
  coresUsed: Nullable(Type.Number({ description: 'report.cpu.coresUsed' })),
  startupMs: Nullable(Type.Number({ description: 'report.startupMs: starting threads or processes' })),
  warnings: Type.Array(Type.String(), { description: 'why this row\'s numbers may be suspect: the job\'s own report.warnings, and impossible values (efficiency above 1, a serial fraction outside 0…1): flagged, never printed plainly' })
})
export type CompareRow = Static<typeof CompareRowSchema>

export const SkippedRunSchema = Type.Object({
  mode: Type.String({ description: 'one of the modes GET / lists' }),
  concurrency: Type.Integer(),
  reason: Type.String()
})
export type SkippedRun = Static<typeof SkippedRunSchema>

const ScalingOver = StringEnum(['workers', 'concurrency'] as const, {
  description: 'what N counts: the rows\' workers, or their concurrency (tasks in flight) for a mode whose workers are the same at every level (one thread: async)'
})

export const ScalingFitSchema = Type.Object({
  mode: Type.String({ description: 'one of the modes GET / lists' }),
  fitted: Type.Literal(true),
  over: ScalingOver,
  levels: Type.Integer({ description: 'distinct N among the points (at least 3)' }),
  points: Type.Array(Type.Object({
    n: Type.Number({ description: 'N: the row\'s workers or concurrency, as `over` says' }),
    concurrency: Type.Integer(),
    tasksPerSec: Type.Number({ description: 'X(N) measured: the row\'s tasksPerSec' }),
    predicted: Type.Number({ description: 'X(N) of the fitted law' })
  }), { description: 'the mode\'s runs that succeeded, one point each (two runs on the same workers are two points at one N)' }),
  lambda: Type.Number({ description: 'λ, tasks/s of one N as the law sees it (X(1) of the curve)' }),
  sigma: Type.Number({ description: 'σ, contention, 0…1: the share that queues for something shared; alone it levels throughput off at λ/σ' }),
  kappa: Type.Number({ description: 'κ, coherency, ≥ 0: the cost of keeping every pair in step; it makes throughput fall past the peak' }),
  peak: StringEnum(['within', 'beyond', 'none'] as const, {
    description: 'where N* = √((1−σ)/κ) lies: within the levels measured, beyond them (an extrapolation, up to 10× the largest), or none: κ ≈ 0 or N* past that, no peak within reach'
  }),
  peakN: Nullable(Type.Number({ description: 'N*, at least 1; null when peak is none' })),
  peakTasksPerSec: Nullable(Type.Number({ description: 'X(N*); null when peak is none' })),
  rmse: Type.Number({ description: 'root mean square of tasksPerSec − predicted over the points, tasks/s' }),
  relativeRmse: Type.Number({ description: 'rmse ÷ the mean tasksPerSec of the points' }),
  r2: Nullable(Type.Number({ description: '1 − SSres ÷ SStot; null when every point has the same tasksPerSec' })),
  reading: Type.String({ description: 'the fit in one sentence: the peak, or the ceiling, or linear' }),
  warnings: Type.Array(Type.String(), { description: 'why the fit may say less than it seems: as many levels as unknowns, an extrapolated peak, a bound reached, runs left out' })
})
export type ScalingFit = Static<typeof ScalingFitSchema>

export const ScalingNotFittedSchema = Type.Object({
  mode: Type.String({ description: 'one of the modes GET / lists' }),
  fitted: Type.Literal(false),
  over: ScalingOver,
  levels: Type.Integer({ description: 'distinct N among the runs that succeeded' }),
  reason: Type.String({ description: 'why there is no fit (fewer than 3 levels, no run that succeeded)' })
})
export type ScalingNotFitted = Static<typeof ScalingNotFittedSchema>

export const ScalingSchema = Type.Union([ScalingFitSchema, ScalingNotFittedSchema])
export type Scaling = Static<typeof ScalingSchema>

export const ComparisonSchema = Type.Object({
  spec: Type.Record(Type.String(), Type.Unknown(), { description: 'what every run shared, defaults filled in (batch applies to pool and processes only)' }),
  cores: Type.Integer({ description: 'os.availableParallelism(): the divisor of efficiencyPerCore' }),
  poolSize: Type.Integer(),
  baseline: Type.Object({
    wallMs: Nullable(Type.Number({ description: 'the baseline\'s report.wallMs' })),
    status: Nullable(StringEnum(JOB_STATUSES, { description: 'null if it never ran (the client went away first)' })),
    jobId: Nullable(Type.String())
  }),
  rows: Type.Array(CompareRowSchema, { description: 'one per run, in the order they ran, the baseline first' }),
  skipped: Type.Array(SkippedRunSchema, { description: 'combinations a job spec rejects, or that never ran' }),
  scaling: Type.Array(ScalingSchema, {
    description: 'per mode of the rows, the Universal Scalability Law X(N) = λN / (1 + σ(N−1) + κN(N−1)) fitted by least squares to its runs that succeeded, or why not (fewer than 3 levels)'
  }),
  env: Nullable(MachineSchema),
  elapsedMs: Type.Number({ description: 'the whole experiment, queueing included (the Node runs; cpython.ms is the original\'s)' }),
  cpython: cpythonAnswerSchema(CpythonCompareResultSchema)
})
export type Comparison = Static<typeof ComparisonSchema>
