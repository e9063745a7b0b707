import { Type, type Static, type TSchema } from 'typebox'
import type { Config } from '../config.js'
import type { ModeRegistry } from '../executors/registry.js'
import { ioProbeSpecSchema } from '../measure/io-probe-schema.js'
import { StringEnum, switchIntervalSchema } from '../schema-helpers.js'
import { WORKLOAD_NAMES, workloads, type WorkloadName } from '../workloads/index.js'

export type ParamsSchemas = Record<WorkloadName, TSchema>

/** Each workload's params schema, built once from the config's limits. */
export function workloadParamsSchemas (config: Config): ParamsSchemas {
  return Object.fromEntries(WORKLOAD_NAMES.map((name) => [name, workloads[name].paramsSchema(config)])) as ParamsSchemas
}

/**
 * Tasks per dispatch in the batching modes, like chunksize. 'auto' sizes dispatches from measured run times
 * (about AUTO_BATCH_MS of work each, at most half of what is left per lane, at most MAX_BATCH); 1 shows the raw dispatch cost.
 */
export function batchSchema (config: Config, batchingModes: readonly string[]) {
  return Type.Union([
    Type.Integer({ minimum: 1, maximum: config.MAX_BATCH }),
    Type.Literal('auto')
  ], { default: 'auto', description: `${batchingModes.join(' and ')}: tasks per dispatch (1 … MAX_BATCH), or auto: about AUTO_BATCH_MS of work per dispatch` })
}

/** `params` checked against the chosen workload's schema (if/then), so an error names the exact field. */
export function paramsByWorkload (paramsSchemas: ParamsSchemas) {
  return WORKLOAD_NAMES.map((name) => ({
    if: { properties: { workload: { const: name } }, required: ['workload'] },
    then: { properties: { params: paramsSchemas[name] } }
  }))
}

/**
 * The body of POST /jobs: `body/params/bytes must be <= 16777216`. Modes, their descriptions and which of them
 * batch or allow crash injection come from the registry.
 */
export function jobSpecSchema (config: Config, paramsSchemas: ParamsSchemas, modes: ModeRegistry) {
  const names = (test: (mode: ModeRegistry['all'][number]) => boolean) => modes.all.filter(test).map((mode) => mode.name)
  return Type.Object({
    workload: StringEnum(WORKLOAD_NAMES, { description: 'what each task does' }),
    mode: StringEnum(modes.names, { description: `where tasks run: ${modes.all.map((mode) => `${mode.name}: ${mode.description}`).join('; ')}` }),
    tasks: Type.Integer({ minimum: 1, maximum: config.MAX_TASKS, default: Math.min(100, config.MAX_TASKS), description: 'tasks in the job (MAX_TASKS)' }),
    // No schema maximum: the limit depends on the mode, and the spec service names the right one.
    concurrency: Type.Integer({
      minimum: 1,
      default: 1,
      description: modes.all.map((mode) => `${mode.name}: ${mode.concurrencyMeans}`).join('; ')
    }),
    batch: batchSchema(config, names((mode) => mode.batches)),
    rate: Type.Optional(Type.Number({
      exclusiveMinimum: 0,
      maximum: config.MAX_RATE,
      description: 'open loop: tasks become due at this rate (tasks per second) whether or not earlier ones have ended; concurrency still caps how many run at once (MAX_RATE). Without it the job is closed-loop: a task is due when a concurrency slot frees'
    })),
    arrivals: Type.Optional(StringEnum(['constant', 'poisson'], {
      description: 'with rate: evenly spaced arrivals (constant, the default) or a seeded Poisson process of the same mean rate'
    })),
    params: Type.Object({}, { additionalProperties: true, default: {}, description: 'the workload\'s params (see the workload table)' }),
    seed: Type.Integer({ minimum: 0, maximum: 4_294_967_295, default: 1, description: 'fixes every random choice; same seed, same results' }),
    warmup: Type.Optional(Type.Object({
      tasks: Type.Optional(Type.Integer({ minimum: 1, maximum: config.MAX_TASKS, description: 'run this many tasks first (MAX_TASKS)' })),
      ms: Type.Optional(Type.Integer({ minimum: 1, maximum: config.MAX_WARMUP_MS, description: 'run tasks first for this long (MAX_WARMUP_MS)' }))
    }, { additionalProperties: false, description: 'run tasks or milliseconds of the same job first, in the same mode, excluded from every figure of the report (one of tasks, ms)' })),
    seriesIntervalMs: Type.Integer({ minimum: 10, maximum: 3_600_000, default: 1000, description: 'the report\'s series: one row per this many ms of the run (at most MAX_SERIES_ROWS rows)' }),
    timeoutMs: Type.Integer({ minimum: 1, maximum: config.MAX_JOB_TIMEOUT_MS, default: config.DEFAULT_JOB_TIMEOUT_MS, description: 'the job fails with JOB_TIMEOUT after this long running (MAX_JOB_TIMEOUT_MS)' }),
    startDelayMs: Type.Integer({ minimum: 0, maximum: config.MAX_START_DELAY_MS, default: 0, description: 'wait this long before the first task (MAX_START_DELAY_MS)' }),
    gil: Type.Boolean({ default: false, description: 'true: emulate CPython\'s global interpreter lock (a thread must hold one process-wide lock to run CPU work; each child process has its own); false, the default: no lock, as in free-threaded CPython 3.13t or C code that releases the GIL' }),
    switchIntervalMs: switchIntervalSchema('with gil: a thread holding the lock hands it over after this long when another waits'),
    ioProbe: Type.Optional(ioProbeSpecSchema()),
    daemon: Type.Boolean({ default: false, description: 'at shutdown a daemon job is cancelled at once and, like a Python daemon thread at exit, skips its cleanup (a file job leaves its temp dir, swept at the next start); a non-daemon job may finish (up to DAEMON_SHUTDOWN_WAIT_MS) and cleans up' }),
    crashAtTask: Type.Optional(Type.Integer({ minimum: 0, description: `fault injection: the thread or process that claims this task exits (${names((mode) => mode.allowsCrashInjection).join(', ')})` }))
  }, {
    additionalProperties: false,
    allOf: paramsByWorkload(paramsSchemas)
  })
}

export type JobSpecSchema = ReturnType<typeof jobSpecSchema>
/** A job spec's fields as the schema has them (what `normalize` starts from). */
export type JobSpecFields = Static<JobSpecSchema> & { workload: WorkloadName }
