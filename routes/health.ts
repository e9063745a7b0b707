import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'

const Status = Type.Object({
  status: Type.String(),
  pool: Type.Optional(Type.Object({ threads: Type.Integer(), queued: Type.Integer() })),
  jobs: Type.Optional(Type.Object({ running: Type.Integer(), queued: Type.Integer() })),
  workers: Type.Optional(Type.Record(Type.String(), Type.Integer(), { description: 'live threads or child processes of each mode that starts its own (pool: its ready threads)' })),
  upstream: Type.Optional(Type.Union([Type.Literal('up'), Type.Literal('down'), Type.Literal('external')], {
    description: "the net workload's upstream: the built-in thread up, or down while it is restarted (then 503); external: UPSTREAM_URL, not checked"
  })),
  engines: Type.Optional(Type.Record(Type.String(), Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()])), {
    description: 'what the modes that keep a service of their own report (cluster: redis up or down, this replica\'s id, its slices); informational: a cluster whose Redis is down does not make the replica unready, its other modes still run'
  })),
  underPressure: Type.Optional(Type.Boolean({ description: 'event-loop delay, heap or RSS over its PRESSURE_* limit (then 503: new work is refused meanwhile)' }))
})

/** Liveness (the process answers) and readiness (the pool is warm, the upstream is up, no pressure, not shutting down). */
const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/healthz', { config: { auth: 'public' }, schema: { summary: 'Liveness', response: { 200: Status } } }, async () => ({ status: 'ok' }))

  app.get('/readyz', { config: { auth: 'public' }, schema: { summary: 'Readiness', response: { 200: Status, 503: Status } } }, async (_request, reply) => {
    const { pool, scheduler, ready, modes, runner, upstream } = app.lab
    const underPressure = app.isUnderPressure()
    const body = {
      // The pool is warm: every thread ready (piscina replaces one that died or was cancelled; until then, not ready).
      status: ready && scheduler.accepting && pool.readyThreads >= pool.size && upstream.state !== 'down' && !underPressure ? 'ready' : 'not ready',
      pool: { threads: pool.readyThreads, queued: pool.queueSize },
      jobs: { running: scheduler.runningCount, queued: scheduler.queuedCount },
      workers: Object.fromEntries(modes.all.flatMap((mode) => mode.liveWorkers ? [[mode.name, mode.liveWorkers(runner.runtime)]] : [])),
      upstream: upstream.state,
      engines: Object.fromEntries([...runner.runtime.engines].map(([name, engine]) => [name, engine.status()])),
      underPressure
    }
    return reply.code(body.status === 'ready' ? 200 : 503).send(body)
  })
}

export default healthRoutes
