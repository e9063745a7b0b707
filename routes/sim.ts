import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { InvalidField } from '../src/errors.js'
import { checkSimDelay, simBody, simDelayMs, simDelayQuerySchema } from '../src/upstream/sim-delay.js'

/** GET /sim/delay — a latency and status upstream (fortio-style) for the net workload and for users' own tests. */
const simRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { config } = app.lab
  app.get('/sim/delay', {
    config: { burnsCpu: true },
    schema: {
      summary: 'Answer after a delay with a chosen status and body size',
      querystring: simDelayQuerySchema(config)
    }
  }, async (request, reply) => {
    const problem = checkSimDelay(request.query, config.SIM_MAX_DELAY_MS)
    if (problem) throw new InvalidField(problem)
    await sleep(simDelayMs(request.query))
    return reply.code(request.query.status).type('application/octet-stream').send(simBody(request.query.bytes))
  })
}

export default simRoutes
