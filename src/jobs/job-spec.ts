import { Type, type Static, type TSchema } from 'typebox'
import { Default } from 'typebox/value'
import type { Config } from '../config.js'
import { MODES, type Mode } from '../executors/executor.js'
import { StringEnum } from '../schema-helpers.js'
import { WORKLOAD_NAMES, workloads, type WorkloadName } from '../workloads/index.js'

/** Each workload's params schema, built once from the config's limits. */
export function workloadParamsSchemas (config: Config): Record<WorkloadName, TSchema> {
  return Object.fromEntries(WORKLOAD_NAMES.map((name) => [name, workloads[name].paramsSchema(config)])) as Record<WorkloadName, TSchema>
}

/**
 * Tasks per dispatch in pool and processes, like chunksize. 'auto' sizes dispatches from measured run times
 * (about AUTO_BATCH_MS of work each, at most half of what is left per lane, at most MAX_BATCH); 1 shows the raw dispatch cost.
 */
export function batchSchema (config: Config) {
  return Type.Union([
    Type.Integer({ minimum: 1, maximum: config.MAX_BATCH }),
    Type.Literal('auto')
  ], { default: 'auto', description: 'pool and processes: tasks per dispatch (1 … MAX_BATCH), or auto: about AUTO_BATCH_MS of work per dispatch' })
}

/**
 * The body of POST /jobs. `params` is checked against the chosen workload's schema (if/then), so an error names
 * the exact field: `body/params/bytes must be <= 16777216`.
 */
export function jobSpecSchema (config: Config, paramsSchemas: Record<WorkloadName, TSchema>) {
  return Type.Object({
    workload: StringEnum(WORKLOAD_NAMES, { description: 'what each task does' }),
    mode: StringEnum(MODES, { description: 'where tasks run' }),
    tasks: Type.Integer({ minimum: 1, maximum: config.MAX_TASKS, default: Math.min(100, config.MAX_TASKS), description: 'tasks in the job (MAX_TASKS)' }),
    // No schema maximum: the limit depends on the mode, and checkJobSpec names the right one.
    concurrency: Type.Integer({
      minimum: 1,
      default: 1,
      description: 'inline: 1; async, pool: tasks in flight (MAX_CONCURRENCY); threads: threads (MAX_THREADS); processes: processes (MAX_PROCESSES)'
    }),
    batch: batchSchema(config),
    params: Type.Object({}, { additionalProperties: true, default: {}, description: 'the workload\'s params (see the workload table)' }),
    seed: Type.Integer({ minimum: 0, maximum: 4_294_967_295, default: 1, description: 'fixes every random choice; same seed, same results' }),
    timeoutMs: Type.Integer({ minimum: 1, maximum: config.MAX_JOB_TIMEOUT_MS, default: config.DEFAULT_JOB_TIMEOUT_MS, description: 'the job fails with JOB_TIMEOUT after this long running (MAX_JOB_TIMEOUT_MS)' }),
    startDelayMs: Type.Integer({ minimum: 0, maximum: config.MAX_START_DELAY_MS, default: 0, description: 'wait this long before the first task (MAX_START_DELAY_MS)' }),
    gil: Type.Boolean({ default: false, description: 'emulate a global interpreter lock: a thread must hold one process-wide lock to run CPU work (each child process has its own)' }),
    switchIntervalMs: Type.Number({ minimum: 0.1, maximum: 1000, default: 5, description: 'with gil: a thread holding the lock hands it over after this long when another waits (CPython: sys.getswitchinterval() = 5 ms)' }),
    daemon: Type.Boolean({ default: false, description: 'at shutdown a daemon job is cancelled at once; a non-daemon job may finish (up to DAEMON_SHUTDOWN_WAIT_MS)' }),
    crashAtTask: Type.Optional(Type.Integer({ minimum: 0, description: 'fault injection: the thread or process that claims this task exits (threads, pool, processes)' }))
  }, {
    additionalProperties: false,
    allOf: WORKLOAD_NAMES.map((name) => ({
      if: { properties: { workload: { const: name } }, required: ['workload'] },
      then: { properties: { params: paramsSchemas[name] } }
    }))
  })
}

export type JobSpec = Static<ReturnType<typeof jobSpecSchema>> & { mode: Mode, workload: WorkloadName }

interface ModeLimit { max: number, variable: string }

/** Rules a schema cannot say (they span fields); each returns a message naming the field and the allowed range. */
export function checkJobSpec (spec: JobSpec, config: Config): string | undefined {
  const limits: Record<Mode, ModeLimit> = {
    inline: { max: 1, variable: 'inline runs one task at a time' },
    async: { max: config.MAX_CONCURRENCY, variable: 'MAX_CONCURRENCY' },
    pool: { max: config.MAX_CONCURRENCY, variable: 'MAX_CONCURRENCY' },
    threads: { max: config.MAX_THREADS, variable: 'MAX_THREADS' },
    processes: { max: config.MAX_PROCESSES, variable: 'MAX_PROCESSES' }
  }
  const limit = limits[spec.mode]
  if (spec.concurrency > limit.max) {
    return `body/concurrency must be <= ${limit.max} in mode ${spec.mode} (${limit.variable})`
  }
  if (typeof spec.batch === 'number' && spec.batch > 1 && spec.mode !== 'pool' && spec.mode !== 'processes') {
    return `body/batch must be 1 in mode ${spec.mode} (batch applies to modes pool and processes)`
  }
  if (spec.crashAtTask !== undefined) {
    if (spec.mode === 'inline' || spec.mode === 'async') {
      return `body/crashAtTask is not allowed in mode ${spec.mode} (it would stop the service); use threads, pool or processes`
    }
    if (spec.crashAtTask >= spec.tasks) return `body/crashAtTask must be < tasks (${spec.tasks})`
  }
  return workloads[spec.workload].checkParams?.(spec.params, 'body/params', { config, concurrency: spec.concurrency })
}

/** Fills the defaults of the workload's params (Ajv does not apply defaults inside if/then). */
export function withParamDefaults (spec: JobSpec, paramsSchemas: Record<WorkloadName, TSchema>): JobSpec {
  return { ...spec, params: Default(paramsSchemas[spec.workload], structuredClone(spec.params)) as JobSpec['params'] }
}
