import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Config } from '../src/config.js'
import { runOriginal } from '../src/cpython/run-original.js'
import { InvalidField } from '../src/errors.js'
import { poolMakespanMs, runExecutorLab, taskDurations, type ExecutorOptions } from '../src/labs/executor.js'
import { DEFAULT_TASKS, ExecutorReportSchema, executorBodySchema, CpythonExecutorSchema, type CpythonExecutorReport, type ExecutorBody } from '../src/labs/executor-schema.js'
import { oneRunAtATime } from '../src/labs/one-run-at-a-time.js'

const ErrorRef = { $ref: 'Error#' }

/** The run's options from a valid body, or the 400 for fields that do not fit together. */
function executorOptions (body: ExecutorBody, config: Config): ExecutorOptions {
  if (body.durationsMs && body.tasks !== undefined && body.tasks !== body.durationsMs.length) {
    throw new InvalidField(`body/tasks must equal the length of body/durationsMs (${body.durationsMs.length}), or be left out`)
  }
  if (!body.durationsMs && body.minMs > body.maxMs) throw new InvalidField(`body/maxMs must be >= body/minMs (${body.minMs})`)
  const durationsMs = taskDurations({ ...body, tasks: body.tasks ?? DEFAULT_TASKS })
  const perStyle = poolMakespanMs(durationsMs, body.workers)
  const totalMs = perStyle * body.styles.length
  if (totalMs > config.LAB_MAX_MS) {
    // Name the fields that set the durations: the given list, or the seeded ones (tasks, minMs…maxMs, seed).
    const durations = body.durationsMs
      ? `body/durationsMs (${durationsMs.length} tasks)`
      : `body/tasks (${durationsMs.length}${body.tasks === undefined ? ', the default' : ''}) seeded in body/minMs…body/maxMs (${body.minMs}…${body.maxMs} ms, body/seed ${body.seed})`
    throw new InvalidField(`${durations} on body/workers (${body.workers}) need ${perStyle} ms per style × ${body.styles.length} body/styles = ${totalMs} ms, ` +
      `must be <= ${config.LAB_MAX_MS} (LAB_MAX_MS): fewer or shorter tasks, more workers or fewer styles`)
  }
  return { workers: body.workers, styles: body.styles, durationsMs, failEvery: body.failEvery, unhandledRejections: body.unhandledRejections }
}

/** What the Python original needs: the same tasks and pool (a Future has no unhandled-rejection event to listen to). */
function cpythonParams ({ unhandledRejections: _, ...params }: ExecutorOptions) {
  return params
}

/**
 * POST /labs/executor — ThreadPoolExecutor's lessons: map vs as_completed, and the exception nobody asked for; the
 * same tasks in Node (a pool of worker threads, promises) and, with cpython: true, in CPython.
 */
const executorRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { config } = app.lab
  const guard = oneRunAtATime(app, 'executor lab')

  app.post('/labs/executor', {
    schema: {
      summary: 'Executor lab: tasks on a pool of threads, collected with map, as-completed or not at all (fire-and-forget)',
      description: 'The caller is a worker thread of its own, so the unhandled rejections of fire-and-forget are counted there and never reach the service\'s main thread. ' +
        'The whole run is stopped with LAB_TIMED_OUT after LAB_MAX_MS. With cpython: true, python/executor.py runs the same tasks on concurrent.futures.ThreadPoolExecutor.',
      body: executorBodySchema(config),
      response: { 200: ExecutorReportSchema, 400: ErrorRef, 413: ErrorRef, 415: ErrorRef, 429: ErrorRef, 503: ErrorRef, 504: ErrorRef }
    }
  }, async (request) => {
    const options = executorOptions(request.body, config)
    return guard(async (signal) => {
      const report = await runExecutorLab(options, { maxMs: config.LAB_MAX_MS, signal })
      const cpython = await runOriginal<CpythonExecutorReport>({
        requested: request.body.cpython, script: 'executor.py', params: cpythonParams(options), resultSchema: CpythonExecutorSchema, executable: config.PYTHON, timeoutMs: config.LAB_MAX_MS, signal, what: 'executor lab'
      })
      return { ...report, cpython }
    })
  })
}

export default executorRoutes
