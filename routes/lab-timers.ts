import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { InvalidField } from '../src/errors.js'
import { paramsByWorkload } from '../src/jobs/job-spec-schema.js'
import { runSingleTask } from '../src/jobs/run-single-task.js'
import { TIMER_STATES, TimerRegistry, TimerViewSchema, type RunTimerTask, type TimerSpec } from '../src/labs/timers.js'
import { StringEnum } from '../src/schema-helpers.js'
import { WORKLOAD_NAMES } from '../src/workloads/index.js'

const ErrorRef = { $ref: 'Error#' }
const IdParams = Type.Object({ id: Type.String({ description: 'timer id' }) })

const FROM_TASK = { at: 'body/task', paramsAt: 'body/task/params' }

/**
 * /timers — the seed's cancellable (and re-arming) threading.Timer. The registry lives and dies with this plugin:
 * every live timer is cancelled when the app closes.
 */
const timerRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { config, specs, runner, modes } = app.lab
  // A fire's task runs off the event loop, in the warm pool (a hash task may take seconds).
  const taskMode = modes.backgroundTaskMode

  // Checked and completed once, when the timer is made; each fire runs it as task number fire − 1.
  const runTask: RunTimerTask = (task, fire, timerId) =>
    runSingleTask(runner, task.spec, { id: `timer-${timerId}-${fire}`, source: 'timer', indexOffset: fire - 1 })
  const registry = new TimerRegistry({ maxTimers: config.MAX_TIMERS, runTask })
  // preClose stops fires while the server drains its connections; onClose is the guarantee.
  app.addHook('preClose', async () => { registry.close() })
  app.addHook('onClose', async () => { registry.close() })

  const ms = (minimum: number, description: string) => Type.Integer({ minimum, maximum: config.MAX_TIMER_DELAY_MS, description })
  const TaskSchema = Type.Object({
    workload: StringEnum(WORKLOAD_NAMES, { description: 'what each fire runs (one task, on the pool)' }),
    params: Type.Object({}, { additionalProperties: true, default: {}, description: 'the workload\'s params, as in POST /jobs' })
  }, {
    additionalProperties: false,
    description: 'optional: one task run at each fire; without it a fire only records its time',
    allOf: paramsByWorkload(specs.paramsSchemas)
  })
  const CreateSchema = Type.Object({
    delayMs: ms(0, 'ms before the first fire (MAX_TIMER_DELAY_MS)'),
    intervalMs: Type.Optional(ms(1, 'repeat: ms from the end of one fire to the next (MAX_TIMER_DELAY_MS)')),
    count: Type.Integer({ minimum: 1, maximum: config.MAX_TIMER_FIRES, default: 1, description: 'fires in total; > 1 needs intervalMs (MAX_TIMER_FIRES)' }),
    task: Type.Optional(TaskSchema)
  }, { additionalProperties: false })

  app.post('/timers', {
    schema: {
      summary: 'Create a timer',
      description: `Fires after delayMs, then every intervalMs until it has fired count times. At most MAX_TIMERS (${config.MAX_TIMERS}) live timers: beyond, 429 TIMER_LIMIT.`,
      body: CreateSchema,
      response: { 201: TimerViewSchema, 400: ErrorRef, 413: ErrorRef, 415: ErrorRef, 429: ErrorRef, 503: ErrorRef }
    }
  }, async (request, reply) => {
    const { delayMs, intervalMs, count, task } = request.body
    if (count > 1 && intervalMs === undefined) throw new InvalidField(`body/count must be 1 without body/intervalMs (got ${count}); a repeating timer needs an interval`)
    const spec: TimerSpec = { delayMs, count }
    if (intervalMs !== undefined) spec.intervalMs = intervalMs
    if (task) {
      const taskSpec = specs.normalize({ workload: task.workload, mode: taskMode, tasks: 1, concurrency: 1, params: task.params, seed: 1 }, FROM_TASK)
      spec.task = { workload: taskSpec.workload, params: taskSpec.params as Record<string, unknown>, spec: taskSpec }
    }
    const timer = registry.create(spec)
    return reply.code(201).header('location', `/timers/${timer.id}`).send(timer)
  })

  app.get('/timers', {
    schema: {
      summary: 'Timers, newest first (live ones and the latest finished ones)',
      querystring: Type.Object({ state: Type.Optional(StringEnum(TIMER_STATES)) }, { additionalProperties: false }),
      response: { 200: Type.Object({ live: Type.Integer(), timers: Type.Array(TimerViewSchema) }), 400: ErrorRef }
    }
  }, async (request) => ({ live: registry.live, timers: registry.list(request.query.state) }))

  app.get('/timers/:id', {
    schema: { summary: 'One timer: state, fires, next fire time', params: IdParams, response: { 200: TimerViewSchema, 404: ErrorRef } }
  }, async (request) => registry.get(request.params.id))

  app.delete('/timers/:id', {
    schema: {
      summary: 'Cancel a timer before it fires or between fires; says whether it had fired',
      params: IdParams,
      response: {
        200: Type.Intersect([TimerViewSchema, Type.Object({ firedBeforeCancel: Type.Boolean() })]),
        404: ErrorRef,
        409: ErrorRef
      }
    }
  }, async (request) => registry.cancel(request.params.id))
}

export default timerRoutes
