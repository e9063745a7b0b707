import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

/** OpenAPI document generated from the route schemas, at /docs/json, and Swagger UI at /docs. */
export const openApi = fp(async function openApi (app: FastifyInstance, options: { version: string }) {
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'concurrency-lab',
        version: options.version,
        description: 'Runs the same workload on the event loop, in worker threads, in a warm pool or in child processes, and measures it.'
      }
    }
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })
}, { name: 'openapi' })
