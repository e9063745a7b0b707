import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance, RouteOptions } from 'fastify'
import fp from 'fastify-plugin'

/**
 * The OpenAPI tags, by URL prefix (a whole path segment: `/jobs` covers `/jobs/:id/events`, not `/jobsx`). The
 * first that matches wins; a route under none of them is `operations`.
 */
export const OPENAPI_TAGS = [
  { name: 'jobs', prefixes: ['/jobs'], description: 'Submit, read, follow and cancel jobs: tasks of one workload under one mode, measured the same way in every mode' },
  { name: 'work', prefixes: ['/work', '/sim'], description: 'One task per request (for load generators) and the latency upstream the net workload calls' },
  { name: 'labs', prefixes: ['/labs', '/timers'], description: 'The seed\'s lessons as experiments: race condition, deadlock, producer/consumer, timers' },
  { name: 'experiments', prefixes: ['/experiments'], description: 'One workload across modes and concurrency levels, against an inline baseline' },
  { name: 'operations', prefixes: [], description: 'Service info, liveness and readiness probes, Prometheus metrics' }
] as const

export type OpenApiTag = typeof OPENAPI_TAGS[number]['name']

export function tagOf (url: string): OpenApiTag {
  const under = (prefix: string) => url === prefix || url.startsWith(`${prefix}/`)
  return OPENAPI_TAGS.find((tag) => tag.prefixes.some(under))?.name ?? 'operations'
}

const UI_PREFIX = '/docs'

/**
 * OpenAPI document generated from the route schemas, at /docs/json, and Swagger UI at /docs. Operations are grouped
 * under the tags above, so the UI is not one long "default" list: a route that names no tag of its own gets the one
 * of its URL prefix. The hook must be added before any route is registered (app.ts registers this plugin first).
 */
export const openApi = fp(async function openApi (app: FastifyInstance, options: { version: string }) {
  app.addHook('onRoute', (routeOptions: RouteOptions) => {
    const schema = routeOptions.schema as ({ hide?: boolean, tags?: string[] } & Record<string, unknown>) | undefined
    if (schema?.hide || routeOptions.url === UI_PREFIX || routeOptions.url.startsWith(`${UI_PREFIX}/`)) return
    if (schema?.tags?.length) return
    routeOptions.schema = { ...schema, tags: [tagOf(routeOptions.url)] }
  })
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'concurrency-lab',
        version: options.version,
        description: 'Runs the same workload on the event loop, in worker threads, in a warm pool or in child processes, and measures it.'
      },
      tags: OPENAPI_TAGS.map(({ name, description }) => ({ name, description }))
    }
  })
  await app.register(swaggerUi, { routePrefix: UI_PREFIX })
}, { name: 'openapi' })
