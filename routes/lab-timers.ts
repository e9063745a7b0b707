import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { InvalidField } from '../src/errors.js'
import { paramsByWorkload } from '../src/jobs/job-spec-schema.js'
import { cpythonRequestSchema } from '../src/cpython/cpython-schema.js'
import { runSingleTask } from '../src/jobs/run-single-task.js'
import { runTimerOriginal } from '../src/labs/timers-cpython.js'
import { TIMER_STATES, TimerRegistry, TimerViewSchema, type RunTimerTask, type TimerSpec } from '../src/labs/timers.js'
import { StringEnum } from '../src/schema-helpers.js'
import { WORKLOAD_NAMES } from '../src/workloads/index.js'

const ErrorRef = { $ref: 'Error#' }
const IdParams = Type.Object({ id: Type.String({ description: 'timer id' }) })

const FROM_TASK = { at: 'body/task', paramsAt: 'body/task/params' }

/**
 * /timers — the seed's cancellable (and re-arming) threading.Timer. The registry lives and dies with this plugin:
 * when shutdown begins, daemon timers are cancelled and non-daemon ones may fire on for DAEMON_SHUTDOWN_WAIT_MS (as
 * the jobs may run on, in the same window); every timer still live is cancelled when the app closes.
 */
const timerRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { config, specs, runner, modes } = app.lab
  // A fire's task runs off the event loop, in the warm pool (a hash task may take seconds).
  const taskMode = modes.backgroundTaskMode

  // Checked and completed once, when the timer is made; each fire runs it as task number fire − 1.
  const runTask: RunTimerTask = (task, fire, timerId) =>
    runSingleTask(runner, task.spec, { id: `timer-${timerId}-${fire}`, source: 'timer', indexOffset: fire - 1 })
  // The same delay, interval and count on threading.Timer; the python process gets LAB_MAX_MS and a second to start.
  // The registry runs them one at a time, so at most one python process of a timer runs (timers-cpython.ts).
  const cpythonRun = (spec: TimerSpec, signal: AbortSignal) => runTimerOriginal({
    requested: true, delayMs: spec.delayMs, intervalMs: spec.intervalMs, count: spec.count, executable: config.PYTHON, timeoutMs: config.LAB_MAX_MS + 1000, signal
  })
  const notRequested = await runTimerOriginal({ requested: false, delayMs: 0, intervalMs: undefined, count: 1, executable: config.PYTHON, timeoutMs: 0, signal: new AbortController().signal })
  const registry = new TimerRegistry({ maxTimers: config.MAX_TIMERS, runTask, cpython: { run: cpythonRun, notRequested } })
  // Shutdown begins for the timers when it does for the jobs (the app's preClose aborts lab.stopping), so both wait
  // in the same DAEMON_SHUTDOWN_WAIT_MS; this preClose waits for its end, and onClose is the guarantee.
  const shutdown = () => registry.shutdown(config.DAEMON_SHUTDOWN_WAIT_MS)
  app.lab.stopping.addEventListener('abort', () => { shutdown().catch(() => {}) }, { once: true })
  app.addHook('preClose', async () => {
    const done = await shutdown()
    if (done.daemonCancelled + done.firedDuringWait + done.cancelledPastWait > 0) {
      app.log.info({ timers: done }, `timers at shutdown: ${done.daemonCancelled} daemon cancelled at once; ${done.firedDuringWait} fires of non-daemon timers during the wait (DAEMON_SHUTDOWN_WAIT_MS), ${done.doneDuringWait} of them finished; ${done.cancelledPastWait} cancelled with a fire due after it`)
    }
  })
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
    daemon: Type.Boolean({ default: false, description: 'as threading.Timer\'s daemon flag, at shutdown: true, cancelled at once (a daemon Timer never fires at exit); false (the default), its fires due within DAEMON_SHUTDOWN_WAIT_MS still come, as CPython joins a non-daemon Timer' }),
    task: Type.Optional(TaskSchema),
    cpython: cpythonRequestSchema()
  }, { additionalProperties: false })

  app.post('/timers', {
    schema: {
      summary: 'Create a timer',
      description: `Fires after delayMs, then every intervalMs until it has fired count times. At most MAX_TIMERS (${config.MAX_TIMERS}) live timers: beyond, 429 TIMER_LIMIT. With cpython: true the same timer then runs on threading.Timer (python/timers.py), once the Node timer has made its last fire, one Python timer at a time (first come, first served): its answer is the timer's cpython field when it has made its own (GET /timers/:id; cpythonRun says where it is), and until then the timer still counts against MAX_TIMERS.`,
      body: CreateSchema,
      response: { 201: TimerViewSchema, 400: ErrorRef, 413: ErrorRef, 415: ErrorRef, 429: ErrorRef, 503: ErrorRef }
    }
  }, async (request, reply) => {
    const { delayMs, intervalMs, count, daemon, task, cpython } = request.body
    if (count > 1 && intervalMs === undefined) throw new InvalidField(`body/count must be 1 without body/intervalMs (got ${count}); a repeating timer needs an interval`)
    if (cpython) checkCpythonTimer(delayMs, intervalMs, count, task !== undefined, config.LAB_MAX_MS)
    const spec: TimerSpec = { delayMs, count, daemon, cpython }
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
      response: { 200: Type.Object({ live: Type.Integer({ description: 'timers counted against MAX_TIMERS: scheduled or fired, or done with their CPython run queued or running' }), timers: Type.Array(TimerViewSchema) }), 400: ErrorRef }
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

/** The Python original records fires only, and must end within LAB_MAX_MS as a lab run does. */
function checkCpythonTimer (delayMs: number, intervalMs: number | undefined, count: number, hasTask: boolean, maxMs: number): void {
  if (hasTask) throw new InvalidField('body/cpython runs the timer on threading.Timer without a task (its fires only record their time): leave out body/task')
  const spanMs = delayMs + (intervalMs ?? 0) * (count - 1)
  if (spanMs > maxMs) throw new InvalidField(`body/cpython needs a timer whose fires all come within LAB_MAX_MS (${maxMs} ms): delayMs + intervalMs × (count − 1) = ${spanMs}`)
}

export default timerRoutes
