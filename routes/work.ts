import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type, type TSchema } from 'typebox'
import { InvalidField, UnknownWorkload } from '../src/errors.js'
import type { JobContext, TaskOutcome } from '../src/executors/messages.js'
import { runTask } from '../src/executors/run-task.js'
import { StringEnum } from '../src/schema-helpers.js'
import { WORKLOAD_NAMES, workloads, type WorkloadName } from '../src/workloads/index.js'

const WORK_MODES = ['inline', 'async', 'pool'] as const

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

/**
 * GET /work/<workload>?mode=inline|async|pool&<params> — exactly one task per request, for autocannon: CPU work
 * inline stalls every request while the pool keeps the server responsive. (inline and async both run the single
 * task on the event loop; they differ only within a job.) A task that fails answers 502 with ok: false and its error.
 */
const workRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { config, pool, upstreamUrl, paramsSchemas } = app.lab

  for (const name of WORKLOAD_NAMES) {
    const workload = workloads[name]
    const paramsSchema = paramsSchemas[name] as TSchema & { properties: Record<string, TSchema> }
    const querystring = Type.Object({
      mode: StringEnum(WORK_MODES, { default: 'inline', description: 'where the task runs' }),
      seed: Type.Integer({ minimum: 0, maximum: 4_294_967_295, default: 1 }),
      ...paramsSchema.properties
    }, { additionalProperties: false })

    app.get(`/work/${name}`, {
      schema: {
        summary: `One ${name} task: ${workload.summary}`,
        querystring,
        response: { 200: WorkResult, 400: { $ref: 'Error#' }, 502: WorkResult }
      }
    }, async (request, reply) => {
      const { mode, seed, ...params } = request.query as { mode: typeof WORK_MODES[number], seed: number } & Record<string, unknown>
      const problem = workload.checkParams?.(params, 'querystring', { config, concurrency: 1 })
      if (problem) throw new InvalidField(problem)
      const started = performance.now()
      const prepared = await workload.prepare?.(params, `work-${request.id}`)
      let outcome: TaskOutcome
      try {
        const job: JobContext = { jobId: String(request.id), workload: name as WorkloadName, params, seed, shared: prepared?.shared, upstreamUrl }
        outcome = mode === 'pool'
          ? (await pool.run({ job, indices: [0] }))[0]!
          : await runTask(job, 0, 'main')
      } finally {
        await prepared?.cleanup()
      }
      const body = { workload: name, mode, ...outcome, totalMs: performance.now() - started }
      return reply.code(outcome.ok ? 200 : 502).send(body)
    })
  }

  app.get('/work/:workload', {
    schema: { summary: 'Unknown workload', params: Type.Object({ workload: Type.String() }), response: { 404: { $ref: 'Error#' } } }
  }, async (request) => {
    throw new UnknownWorkload(request.params.workload, WORKLOAD_NAMES.join(', '))
  })
}

export default workRoutes
