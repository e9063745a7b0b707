import type { ValidateFunction } from 'ajv'
import type { Config } from '../config.js'
import { InvalidField, ModeUnavailable, SchemaViolation } from '../errors.js'
import type { ModeDefinition } from '../executors/mode-definition.js'
import type { ModeRegistry } from '../executors/registry.js'
import { memoryProblem } from './memory-budget.js'
import { createAjv } from '../plugins/schema-validators.js'
import { describeSchemaErrors, type SchemaError } from '../validation-message.js'
import { WORKLOAD_NAMES, workloads, type WorkloadName } from '../workloads/index.js'
import { jobSpecSchema, workloadParamsSchemas, type JobSpecFields, type JobSpecSchema, type ParamsSchemas } from './job-spec-schema.js'

declare const normalized: unique symbol

/**
 * A job spec that the spec service has validated, cross-checked and completed. Only `SpecService.normalize`
 * makes one (the brand exists in types only), and the scheduler accepts nothing else.
 */
export type JobSpec = Readonly<JobSpecFields> & { readonly [normalized]: true }

/** Where a spec came from, for messages: `body` (POST /jobs), `querystring` (GET /work), `body/task` (timers). */
export interface SpecSource {
  at: string
  /** where its params are (GET /work's params are the query string itself) */
  paramsAt: string
  /** one task answering one request (GET /work) */
  singleRequest?: boolean
}

const FROM_BODY: SpecSource = { at: 'body', paramsAt: 'body/params' }

/**
 * The one place a job spec is checked and completed, compiled once from the config and the mode registry:
 *
 *   input ──schema (types, ranges, enums, the workload's params)──▶ defaults (the spec's, then its params')
 *         ──cross-field rules (the mode's limit, batch, crash injection; the workload's checkParams)──▶ JobSpec
 *
 * Every route that runs tasks (/jobs, /experiments/compare, /timers, /work) goes through `normalize`.
 */
export class SpecService {
  readonly config: Config
  readonly modes: ModeRegistry
  readonly paramsSchemas: ParamsSchemas
  /** the body schema of POST /jobs (compare derives its own from it) */
  readonly schema: JobSpecSchema
  readonly #validate: ValidateFunction
  readonly #fillParams: Record<WorkloadName, ValidateFunction>

  constructor (config: Config, modes: ModeRegistry) {
    this.config = config
    this.modes = modes
    this.paramsSchemas = workloadParamsSchemas(config)
    this.schema = jobSpecSchema(config, this.paramsSchemas, modes)
    // A body is JSON: no type coercion, defaults filled, unknown properties refused (as the routes' validators).
    const ajv = createAjv(false)
    this.#validate = ajv.compile(this.schema)
    // Ajv fills defaults only outside if/then: the params' own defaults come from their schema, compiled apart.
    this.#fillParams = Object.fromEntries(WORKLOAD_NAMES.map((name) => [name, ajv.compile(this.paramsSchemas[name])])) as Record<WorkloadName, ValidateFunction>
  }

  /** Validates `input`, fills every default and applies the rules across fields; throws a 400 naming the field. */
  normalize (input: unknown, source: SpecSource = FROM_BODY): JobSpec {
    const spec = structuredClone(input) as JobSpecFields
    if (!this.#validate(spec)) throw new SchemaViolation(describe(this.#validate.errors as SchemaError[] | null | undefined, source))
    const unavailable = this.modes.get(spec.mode).unavailable?.(this.config)
    if (unavailable !== undefined) throw new ModeUnavailable(`${source.at}/mode`, spec.mode, unavailable)
    const fillParams = this.#fillParams[spec.workload]
    if (!fillParams(spec.params)) throw new SchemaViolation(describe(fillParams.errors as SchemaError[] | null | undefined, { at: source.paramsAt, paramsAt: source.paramsAt }))
    const problem = this.#crossFieldProblem(spec, source)
    if (problem) throw new InvalidField(problem)
    if (spec.rate !== undefined) spec.arrivals ??= 'constant'
    return Object.freeze(spec) as JobSpec
  }

  /** Rules a schema cannot say (they span fields); each names the field and the allowed range. */
  #crossFieldProblem (spec: JobSpecFields, { at, paramsAt, singleRequest = false }: SpecSource): string | undefined {
    const mode = this.modes.get(spec.mode)
    const limit = mode.concurrencyLimit(this.config)
    if (spec.concurrency > limit.max) {
      return `${at}/concurrency must be <= ${limit.max} in mode ${mode.name} (${limit.variable})`
    }
    if (typeof spec.batch === 'number' && spec.batch > 1 && !mode.batches) {
      return `${at}/batch must be 1 in mode ${mode.name} (batch applies to modes ${this.#modesWhere((m) => m.batches)})`
    }
    if (spec.warmup && (spec.warmup.tasks === undefined) === (spec.warmup.ms === undefined)) {
      return `${at}/warmup must have exactly one of tasks, ms`
    }
    if (spec.arrivals !== undefined && spec.rate === undefined) {
      return `${at}/arrivals needs ${at}/rate (without a rate the job is closed-loop)`
    }
    if (spec.rate !== undefined) {
      // The last arrival is due (tasks − 1) ÷ rate after the start: a schedule the timeout cuts short is a mistake.
      const scheduleMs = (spec.tasks - 1) / spec.rate * 1000
      if (scheduleMs > spec.timeoutMs) {
        return `${at}/rate: ${spec.tasks} tasks at ${spec.rate}/s arrive over ${Math.round(scheduleMs)} ms, longer than ${at}/timeoutMs (${spec.timeoutMs}); raise rate or timeoutMs, or lower tasks`
      }
    }
    if (spec.crashAtTask !== undefined) {
      if (!mode.allowsCrashInjection) {
        return `${at}/crashAtTask is not allowed in mode ${mode.name} (it would stop the service); use ${this.#modesWhere((m) => m.allowsCrashInjection, ' or ')}`
      }
      if (spec.crashAtTask >= spec.tasks) return `${at}/crashAtTask must be < tasks (${spec.tasks})`
    }
    const workload = workloads[spec.workload]
    return workload.checkParams?.(spec.params, paramsAt, { config: this.config, concurrency: spec.concurrency, singleRequest, gil: spec.gil, mode }) ??
      memoryProblem(this.config, mode, workload, spec.params, at, paramsAt, spec.concurrency, spec.batch)
  }

  #modesWhere (test: (mode: ModeDefinition) => boolean, lastJoin = ' and '): string {
    const names = this.modes.all.filter(test).map((mode) => mode.name)
    return names.length > 1 ? `${names.slice(0, -1).join(', ')}${lastJoin}${names.at(-1)}` : names.join('')
  }
}

/** Schema errors as one sentence, with the params' fields named where the client wrote them. */
function describe (errors: readonly SchemaError[] | null | undefined, { at, paramsAt }: SpecSource): string {
  const placed = (errors ?? []).map((error) => {
    const inParams = error.instancePath === '/params' || error.instancePath.startsWith('/params/')
    return { ...error, instancePath: inParams ? `${paramsAt}${error.instancePath.slice('/params'.length)}` : `${at}${error.instancePath}` }
  })
  return describeSchemaErrors(placed, '')
}
