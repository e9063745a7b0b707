import rateLimit from '@fastify/rate-limit'
import underPressure from '@fastify/under-pressure'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { getHeapStatistics } from 'node:v8'
import type { Config } from '../config.js'
import { RateLimited, UnderPressure, withRetryAfter } from '../errors.js'
import { refusedWhenReadOnly } from './auth.js'

/**
 * Whether a request adds load: it starts work or changes state (the read-only rule's routes), a cancel excepted —
 * shedding load must never refuse the request that would lower it. Reads, probes, scrapes and cancels always pass.
 */
export function addsLoad (request: FastifyRequest): boolean {
  return request.method !== 'DELETE' && refusedWhenReadOnly(request.method, request.routeOptions.config)
}

/** What a request that adds load is held to: a GET that burns CPU (/work, /sim) by its own limit, the rest by RATE_LIMIT_MAX. */
const isWorkRequest = (request: FastifyRequest) => request.method === 'GET' || request.method === 'HEAD'

const PRESSURE_NAMES: Record<string, { what: string, variable: string, unit: string }> = {
  [underPressure.TYPE_EVENT_LOOP_DELAY]: { what: 'the event loop delay', variable: 'PRESSURE_MAX_EVENT_LOOP_DELAY_MS', unit: 'ms' },
  [underPressure.TYPE_HEAP_USED_BYTES]: { what: 'the heap in use', variable: 'PRESSURE_MAX_HEAP_PERCENT', unit: 'bytes' },
  [underPressure.TYPE_RSS_BYTES]: { what: 'the resident memory', variable: 'PRESSURE_MAX_RSS_BYTES', unit: 'bytes' }
}

/**
 * Load shedding by well-kept plugins, both deciding per request with `addsLoad`:
 * - @fastify/under-pressure: while the event loop's mean delay, the heap or the RSS is over its limit, a request that
 *   adds load answers 503 UNDER_PRESSURE with Retry-After; /healthz, /metrics, reads and cancels still answer
 *   (GET /readyz says 503 itself, with why).
 * - @fastify/rate-limit: per client address, RATE_LIMIT_MAX requests that add load per RATE_LIMIT_WINDOW_MS, and
 *   RATE_LIMIT_WORK_MAX GET /work and /sim requests (0: unlimited — they are what a load test aims at; the task
 *   slots, MAX_WORK_IN_FLIGHT, bound what they hold at once); beyond it 429 RATE_LIMITED with Retry-After.
 */
export const loadShedding = fp(async function loadShedding (app: FastifyInstance, { config }: { config: Config }) {
  const heapLimit = getHeapStatistics().heap_size_limit
  await app.register(underPressure, {
    maxEventLoopDelay: config.PRESSURE_MAX_EVENT_LOOP_DELAY_MS,
    maxHeapUsedBytes: Math.round(heapLimit * config.PRESSURE_MAX_HEAP_PERCENT / 100),
    maxRssBytes: config.PRESSURE_MAX_RSS_BYTES,
    sampleInterval: config.PRESSURE_SAMPLE_INTERVAL_MS,
    pressureHandler: async (request, _reply, type, value) => {
      if (!addsLoad(request)) return
      // under-pressure reads a sample with no event-loop reading at all as an infinite delay: the loop was blocked
      // throughout (the service starting, an inline task of seconds). It is free now, since it runs this request.
      if (type === underPressure.TYPE_EVENT_LOOP_DELAY && !Number.isFinite(value)) return
      const names = PRESSURE_NAMES[type] ?? { what: type, variable: 'the service', unit: '' }
      const shown = typeof value === 'number' && Number.isFinite(value) ? `${Math.round(value)} ${names.unit}` : 'over its limit'
      throw withRetryAfter(new UnderPressure(names.what, shown, names.variable), config.PRESSURE_RETRY_AFTER_S)
    }
  })

  if (config.RATE_LIMIT_MAX === 0 && config.RATE_LIMIT_WORK_MAX === 0) return
  await app.register(rateLimit, {
    global: true,
    timeWindow: config.RATE_LIMIT_WINDOW_MS,
    max: async (request) => isWorkRequest(request) ? config.RATE_LIMIT_WORK_MAX : config.RATE_LIMIT_MAX,
    allowList: (request) => !addsLoad(request) || (isWorkRequest(request) ? config.RATE_LIMIT_WORK_MAX : config.RATE_LIMIT_MAX) === 0,
    errorResponseBuilder: (request, context) => {
      const variable = isWorkRequest(request) ? 'RATE_LIMIT_WORK_MAX' : 'RATE_LIMIT_MAX'
      return withRetryAfter(new RateLimited(context.max, config.RATE_LIMIT_WINDOW_MS, variable), Math.max(1, Math.ceil(context.ttl / 1000)))
    }
  })
}, { name: 'load-shedding' })
