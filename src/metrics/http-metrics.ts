import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction, onResponseHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import type { Histogram } from 'prom-client'

type HttpHistogram = Histogram<'method' | 'route' | 'status_class'>
type Child = ReturnType<HttpHistogram['labels']>

/** Status classes 0xx … 9xx (Node accepts status codes 100–999): one label child each, indexed by code ÷ 100. */
const CLASSES = Array.from({ length: 10 }, (_, index) => `${index}xx`)

/**
 * The label children of one route and method, one per status class, bound once (prom-client validates the label
 * set when a child is made; a child creates no series until it observes).
 */
function bindClasses (histogram: HttpHistogram, method: string, route: string): Child[] {
  return CLASSES.map((statusClass) => histogram.labels({ method, route, status_class: statusClass }))
}

function classOf (statusCode: number): number {
  const index = Math.floor(statusCode / 100)
  return index >= 0 && index < CLASSES.length ? index : 0
}

/** Children by method, bound on first use (the unmatched label: any method a client sends, a bounded set in Node). */
function childrenByMethod (histogram: HttpHistogram, route: string) {
  const byMethod = new Map<string, Child[]>()
  return (method: string) => {
    let children = byMethod.get(method)
    if (children === undefined) {
      children = bindClasses(histogram, method, route)
      byMethod.set(method, children)
    }
    return children
  }
}

/**
 * The onResponse hook of one route: its method(s) and route label bound when the route is registered, so a request
 * only picks its status class's child from an array.
 */
function routeRecorder (histogram: HttpHistogram, route: string, methods: readonly string[]): onResponseHookHandler {
  if (methods.length === 1) {
    const children = bindClasses(histogram, methods[0]!, route)
    return (_request, reply, done) => {
      children[classOf(reply.statusCode)]!.observe(reply.elapsedTime / 1000)
      done()
    }
  }
  const forMethod = childrenByMethod(histogram, route)
  for (const method of methods) forMethod(method)
  return (request, reply, done) => {
    forMethod(request.method)[classOf(reply.statusCode)]!.observe(reply.elapsedTime / 1000)
    done()
  }
}

/**
 * Request time by method, route pattern and status class, in one histogram (its _count is the request count).
 * A hook of our own rather than fastify-metrics: measured here, that plugin's defaults cost 22–36 % of a
 * hello-world route's throughput (a summary beside the histogram, per-request label objects), and its buckets start
 * at 50 ms. Unmatched URLs share one route label, so label sets stay bounded.
 *
 * Every request pays for this (bench P1), so each route gets its own hook with its label sets bound when the route is
 * registered (onRoute): reading `request.routeOptions.url` per request builds a 12-field object each time, and a
 * label set looked up per request costs a string key and a map lookup. Register this plugin before any route.
 * Unmatched requests (404) are recorded by a global hook that only checks `is404`.
 */
export const httpMetrics = fp(async function httpMetrics (app: FastifyInstance, options: { histogram: HttpHistogram }) {
  const { histogram } = options
  app.addHook('onRoute', (route) => {
    const hook = routeRecorder(histogram, route.url, Array.isArray(route.method) ? route.method : [route.method])
    const existing = route.onResponse
    route.onResponse = existing === undefined ? [hook] : [...(Array.isArray(existing) ? existing : [existing]) as onResponseHookHandler[], hook]
  })
  const unmatched = childrenByMethod(histogram, 'unmatched')
  app.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
    if (request.is404) unmatched(request.method)[classOf(reply.statusCode)]!.observe(reply.elapsedTime / 1000)
    done()
  })
}, { name: 'http-metrics' })
