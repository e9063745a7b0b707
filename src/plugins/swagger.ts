import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance, RouteOptions } from 'fastify'
import fp from 'fastify-plugin'
import { tokenVariables } from './auth.js'

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
/** The OpenAPI security scheme of API_TOKEN and METRICS_TOKEN (components.securitySchemes). */
export const BEARER_SCHEME = 'bearerAuth'

/**
 * OpenAPI document generated from the route schemas, at /docs/json, and Swagger UI at /docs. Operations are grouped
 * under the tags above, so the UI is not one long "default" list: a route that names no tag of its own gets the one
 * of its URL prefix. With a token set, each operation lists the bearer scheme if it needs one (`security: []` if not).
 * The hook must be added before any route is registered (app.ts registers this plugin first).
 */
export const openApi = fp(async function openApi (app: FastifyInstance, options: { version: string }) {
  const { config } = app.lab
  // With a token set, the document says which operations need it, and the UI gets its "Authorize" button.
  const bearer = config.API_TOKEN !== undefined || config.METRICS_TOKEN !== undefined
  app.addHook('onRoute', (routeOptions: RouteOptions) => {
    if (routeOptions.url === UI_PREFIX || routeOptions.url.startsWith(`${UI_PREFIX}/`)) {
      // Open with or without API_TOKEN: the UI is where a user enters the token, and it shows no secret (auth.ts).
      routeOptions.config = { ...routeOptions.config, auth: 'public' }
      return
    }
    const schema = routeOptions.schema as ({ hide?: boolean, tags?: string[] } & Record<string, unknown>) | undefined
    if (schema?.hide) return
    const tags = schema?.tags?.length ? {} : { tags: [tagOf(routeOptions.url)] }
    const security = bearer ? { security: tokenVariables(config, routeOptions.config).length > 0 ? [{ [BEARER_SCHEME]: [] }] : [] } : {}
    routeOptions.schema = { ...schema, ...tags, ...security }
  })
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'concurrency-lab',
        version: options.version,
        description: 'Runs the same workload on the event loop, in worker threads, in a warm pool or in child processes, and measures it.'
      },
      tags: OPENAPI_TAGS.map(({ name, description }) => ({ name, description })),
      ...(bearer && {
        components: {
          securitySchemes: {
            [BEARER_SCHEME]: { type: 'http', scheme: 'bearer', description: 'API_TOKEN (GET /metrics: METRICS_TOKEN too); docs/security.md' }
          }
        }
      })
    }
  })
  await app.register(swaggerUi, { routePrefix: UI_PREFIX })
}, { name: 'openapi' })
