/**
 * A bare Fastify hello world with some of the service's own parts added (FEATURES, comma-separated), for P1's
 * cost-per-feature table: each part is the service's code where it has one (its http-metrics plugin, error handler,
 * OpenAPI plugin), configured as the service configures it. Listens on PORT when run as a script.
 *   logger   pino at info, request lines off for probes (a LogController deciding by path), x-request-id
 *   metrics  prom-client: default metrics + the service's per-route request histogram (src/metrics/http-metrics.ts)
 *   errors   the service's error and 404 handlers (src/plugins/error-handler.ts)
 *   openapi  the service's OpenAPI and Swagger UI plugin (src/plugins/swagger.ts)
 *   onsend   the service's shutdown onSend hook
 *   schema   a response schema on the route (fast-json-stringify instead of JSON.stringify)
 */
import { pathToFileURL } from 'node:url'
import Fastify, { LogController, type FastifyInstance } from 'fastify'
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client'
import { Type } from 'typebox'
import { httpMetrics } from '../../src/metrics/http-metrics.js'
import { HTTP_BUCKETS } from '../../src/metrics/service-metrics.js'
import { errorHandler } from '../../src/plugins/error-handler.js'
import { openApi } from '../../src/plugins/swagger.js'

export const FEATURES = ['logger', 'metrics', 'errors', 'openapi', 'onsend', 'schema'] as const
export type Feature = typeof FEATURES[number]

const PROBE_PATHS = new Set(['/healthz', '/readyz', '/metrics'])

export async function buildFeatureApp (features: readonly Feature[]): Promise<FastifyInstance> {
  const has = (feature: Feature) => features.includes(feature)
  const app = has('logger')
    ? Fastify({
      logger: { level: 'info' },
      requestIdHeader: 'x-request-id',
      logController: new LogController({
        disableRequestLogging: (request: { url?: string }) => {
          const url = request.url ?? ''
          const query = url.indexOf('?')
          return PROBE_PATHS.has(query < 0 ? url : url.slice(0, query))
        }
      })
    })
    : Fastify({ logger: false })
  if (has('metrics')) {
    const registry = new Registry()
    collectDefaultMetrics({ register: registry })
    const histogram = new Histogram({ name: 'http_request_duration_seconds', help: 'HTTP request time', labelNames: ['method', 'route', 'status_class'], buckets: HTTP_BUCKETS, registers: [registry] })
    await app.register(httpMetrics, { histogram })
  }
  if (has('errors')) await app.register(errorHandler, { bodyLimit: 65_536 })
  if (has('openapi')) await app.register(openApi, { version: '0.0.0' })
  if (has('onsend')) {
    const lab = { ready: true }
    app.addHook('onSend', (_request, reply, payload, done) => {
      if (!lab.ready) reply.header('connection', 'close')
      done(null, payload)
    })
  }
  const schema = has('schema') ? { response: { 200: Type.Object({ status: Type.String() }) } } : {}
  app.get('/healthz', { schema }, async () => ({ status: 'ok' }))
  return app
}

export function featuresFromEnv (value = process.env.FEATURES ?? ''): Feature[] {
  const features = value.split(',').map((name) => name.trim()).filter(Boolean)
  const unknown = features.filter((name) => !(FEATURES as readonly string[]).includes(name))
  if (unknown.length > 0) throw new Error(`FEATURES: unknown ${unknown.join(', ')}; known: ${FEATURES.join(', ')}`)
  return features as Feature[]
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const app = await buildFeatureApp(featuresFromEnv())
  await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) })
  process.once('SIGTERM', () => { app.close().then(() => process.exit(0), () => process.exit(1)) })
}
