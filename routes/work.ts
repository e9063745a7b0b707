import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type, type TSchema } from 'typebox'
import { UnknownWorkload } from '../src/errors.js'
import { runSingleTask } from '../src/jobs/run-single-task.js'
import { StringEnum } from '../src/schema-helpers.js'
import { WORKLOAD_NAMES, workloads } from '../src/workloads/index.js'

const WorkResult = Type.Object({
  workload: Type.String(),
  mode: Type.String(),
  ok: Type.Boolean(),
  value: Type.Optional(Type.Union([Type.String(), Type.Number()])),
  error: Type.Optional(Type.String()),
  runMs: Type.Number({ description: 'task run time where it ran' }),
  waitMs: Type.Optional(Type.Number()),
  totalMs: Type.Number({ description: 'time in this handler, dispatch included' }),
  worker: Type.String()
})

const FROM_QUERY = { at: 'querystring', paramsAt: 'querystring', singleRequest: true }

/**
 * GET /work/<workload>?mode=<a single-task mode>&<params> — exactly one task per request, for autocannon: CPU work
 * inline stalls every request while the pool keeps the server responsive. The task runs through the mode's own
 * executor (so it is counted in the task metrics, source "work"); the modes offered are those whose definition
 * says `singleTask`. A task that fails answers 502 with ok: false and its error.
 */
const workRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { specs, runner, modes } = app.lab
  const [defaultMode] = modes.singleTaskNames

  for (const name of WORKLOAD_NAMES) {
    const workload = workloads[name]
    const paramsSchema = specs.paramsSchemas[name] as TSchema & { properties: Record<string, TSchema> }
    const querystring = Type.Object({
      mode: StringEnum(modes.singleTaskNames, { default: defaultMode, description: 'where the task runs' }),
      seed: Type.Integer({ minimum: 0, maximum: 4_294_967_295, default: 1 }),
      ...paramsSchema.properties
    }, { additionalProperties: false })

    app.get(`/work/${name}`, {
      config: { burnsCpu: true },
      schema: {
        summary: `One ${name} task: ${workload.summary}`,
        querystring,
        response: { 200: WorkResult, 400: { $ref: 'Error#' }, 502: WorkResult }
      }
    }, async (request, reply) => {
      const { mode, seed, ...params } = request.query as { mode: string, seed: number } & Record<string, unknown>
      const started = performance.now()
      const spec = specs.normalize({ workload: name, mode, tasks: 1, concurrency: 1, params, seed }, FROM_QUERY)
      // A client that goes away takes its task with it: dropped from piscina's queue, or stopped (as a job's cancel).
      const gone = new AbortController()
      const onClose = () => { if (!reply.raw.writableEnded) gone.abort() }
      reply.raw.on('close', onClose)
      let outcome
      try {
        outcome = await runSingleTask(runner, spec, { id: `work-${request.id}`, source: 'work', signal: gone.signal })
      } finally {
        reply.raw.off('close', onClose)
      }
      const body = { workload: name, mode, ...outcome, totalMs: performance.now() - started }
      return reply.code(outcome.ok ? 200 : 502).send(body)
    })
  }

  app.get('/work/:workload', {
    config: { burnsCpu: true },
    schema: { summary: 'Unknown workload', params: Type.Object({ workload: Type.String() }), response: { 404: { $ref: 'Error#' } } }
  }, async (request) => {
    throw new UnknownWorkload(request.params.workload, WORKLOAD_NAMES.join(', '))
  })
}

export default workRoutes
