import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'

/** GET /metrics — Prometheus text format: prom-client's default process and Node.js metrics plus conclab_*. */
const metricsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { registry } = app.lab.metrics
  app.get('/metrics', { config: { auth: 'metrics' }, schema: { summary: 'Prometheus metrics', produces: ['text/plain'] } }, async (_request, reply) => {
    return reply.type(registry.contentType).send(await registry.metrics())
  })
}

export default metricsRoutes
