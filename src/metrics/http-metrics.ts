import type { FastifyInstance, FastifyReply, FastifyRequest, onResponseHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import type { Histogram } from 'prom-client'

declare module 'fastify' {
  interface FastifyInstance {
    /** http-metrics: records a request that matched no route (the not-found handler calls it) */
    recordUnmatched?: (request: FastifyRequest, reply: FastifyReply) => void
  }
}

type HttpHistogram = Histogram<'method' | 'route' | 'status_class'>

/** What one label set holds inside prom-client 15's Histogram (`hashMap[key]`, created on its first observation). */
interface SeriesCell {
  labels: object
  bucketValues: Record<string, number>
  sum: number
  count: number
}

interface HistogramInternals {
  hashMap?: Record<string, SeriesCell>
  upperBounds?: number[]
  enableExemplars?: boolean
}

/**
 * One label set's observer, cheaper than prom-client's bound child. A child's `observe` re-validates the label set,
 * builds its hash string (`method:GET,route:/healthz,status_class:2xx,`), looks that fresh string up and indexes the
 * buckets by number (≈ 0.45 µs here, on every request). This one lets the child make the series on the first
 * observation, then finds that series by its labels object and adds to it directly (≈ 0.04 µs): the same numbers in
 * the same place, so /metrics is unchanged. It checks on every call that the series is still the histogram's (a
 * reset() or remove() replaces it) and checks the cell's shape once; if prom-client's internals ever differ it uses
 * the child for good (test/bench-http-metrics.test.ts compares the two).
 */
export class LabelSetObserver {
  readonly #histogram: HistogramInternals
  readonly #labels: Record<string, string>
  readonly #child: ReturnType<HttpHistogram['labels']>
  readonly #bounds: number[]
  readonly #bucketKeys: string[]
  #key: string | undefined
  #cell: SeriesCell | undefined
  #fallback: boolean

  constructor (histogram: HttpHistogram, labels: Record<'method' | 'route' | 'status_class', string>) {
    this.#histogram = histogram as unknown as HistogramInternals
    this.#labels = labels
    this.#child = histogram.labels(labels)
    const bounds = this.#histogram.upperBounds
    this.#fallback = !Array.isArray(bounds) || this.#histogram.enableExemplars === true
    this.#bounds = Array.isArray(bounds) ? [...bounds] : []
    // prom-client keys its buckets by the bound as a property name: String(bound).
    this.#bucketKeys = this.#bounds.map(String)
  }

  /** whether it adds to its series directly (after the first observation, unless prom-client's internals differ) */
  get direct (): boolean {
    return this.#cell !== undefined && this.#histogram.hashMap?.[this.#key!] === this.#cell
  }

  observe (seconds: number): void {
    const cell = this.#cell
    if (cell !== undefined && this.#histogram.hashMap![this.#key!] === cell && Number.isFinite(seconds)) {
      cell.sum += seconds
      cell.count += 1
      const bounds = this.#bounds
      let bucket = 0
      while (bucket < bounds.length && seconds > bounds[bucket]!) bucket++
      // Above the last bound it counts only in +Inf (= count), as prom-client does.
      if (bucket < bounds.length) cell.bucketValues[this.#bucketKeys[bucket]!]! += 1
      return
    }
    this.#child.observe(seconds) // makes the series (or throws on a bad value, as prom-client does)
    if (!this.#fallback) this.#find()
  }

  /** Finds the series the child just made (by identity: prom-client keeps the labels object it was given). */
  #find (): void {
    const map = this.#histogram.hashMap
    const entry = map === undefined ? undefined : Object.entries(map).find(([, each]) => each.labels === this.#labels)
    const cell = entry?.[1]
    const shaped = cell !== undefined && typeof cell.sum === 'number' && typeof cell.count === 'number' &&
      typeof cell.bucketValues === 'object' && this.#bucketKeys.every((key) => typeof cell.bucketValues[key] === 'number')
    if (!shaped) {
      this.#fallback = true
      this.#cell = undefined
      return
    }
    this.#key = entry![0]
    this.#cell = cell
  }
}

/** Status classes 0xx … 9xx (Node accepts status codes 100–999): one label set each, indexed by code ÷ 100. */
const CLASSES = Array.from({ length: 10 }, (_, index) => `${index}xx`)

/**
 * The label sets of one route and method, one per status class, bound once (prom-client validates a label set when
 * its child is made; nothing shows in /metrics until it observes).
 */
function bindClasses (histogram: HttpHistogram, method: string, route: string): LabelSetObserver[] {
  return CLASSES.map((statusClass) => new LabelSetObserver(histogram, { method, route, status_class: statusClass }))
}

function classOf (statusCode: number): number {
  const index = Math.floor(statusCode / 100)
  return index >= 0 && index < CLASSES.length ? index : 0
}

/** Children by method, bound on first use (the unmatched label: any method a client sends, a bounded set in Node). */
function childrenByMethod (histogram: HttpHistogram, route: string) {
  const byMethod = new Map<string, LabelSetObserver[]>()
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
 * label set looked up per request costs a string key and a map lookup; and it observes through LabelSetObserver.
 * Register this plugin before any route. Requests that matched no route are recorded by the not-found handler
 * (src/plugins/error-handler.ts calls `recordUnmatched`), so no request runs a second, global hook that checks
 * `is404`. Times are Fastify's `reply.elapsedTime`, which it keeps whenever it logs (the service always has a logger).
 */
export const httpMetrics = fp(async function httpMetrics (app: FastifyInstance, options: { histogram: HttpHistogram }) {
  const { histogram } = options
  app.addHook('onRoute', (route) => {
    const hook = routeRecorder(histogram, route.url, Array.isArray(route.method) ? route.method : [route.method])
    const existing = route.onResponse
    route.onResponse = existing === undefined ? [hook] : [...(Array.isArray(existing) ? existing : [existing]) as onResponseHookHandler[], hook]
  })
  // A request that matched no route: the not-found handler calls this; one listener on its response records it.
  const unmatched = childrenByMethod(histogram, 'unmatched')
  app.decorate('recordUnmatched', (request: FastifyRequest, reply: FastifyReply) => {
    reply.raw.once('close', () => unmatched(request.method)[classOf(reply.statusCode)]!.observe(reply.elapsedTime / 1000))
  })
}, { name: 'http-metrics' })
