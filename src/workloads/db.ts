import { setTimeout as sleep } from 'node:timers/promises'
import { Type, type Static } from 'typebox'
import type { Config } from '../config.js'
import { StringEnum } from '../schema-helpers.js'
import { seededRandom, standardNormal } from './seeded-random.js'
import { SharedSemaphore } from './shared-semaphore.js'
import type { TaskContext, TaskResult, Workload } from './workload.js'

export const DEFAULT_DB_LATENCY_MS = 10
/** z-score of the 99th percentile of a normal distribution */
const Z99 = 2.3263478740408408
/** a sampled latency is capped at this multiple of p99, so one task cannot run away */
const TAIL_CAP = 10

export function dbParamsSchema (config: Config) {
  const ms = (description: string) => Type.Number({ minimum: 0, maximum: config.MAX_LATENCY_MS, description })
  return Type.Object({
    latencyMs: Type.Optional(ms(`fixed query latency (MAX_LATENCY_MS); default ${DEFAULT_DB_LATENCY_MS} when no p50Ms/p99Ms`)),
    p50Ms: Type.Optional(ms('median of a log-normal latency, seeded (with p99Ms)')),
    p99Ms: Type.Optional(ms('99th percentile of the log-normal latency (with p50Ms)')),
    driver: StringEnum(['async', 'blocking'], {
      default: 'async',
      description: 'async: waits without blocking its thread; blocking: blocks its thread (Atomics.wait), like a synchronous driver'
    }),
    connections: Type.Optional(Type.Integer({
      minimum: 1,
      maximum: config.MAX_DB_CONNECTIONS,
      description: 'connection pool size: at most this many queries at once, the rest wait (MAX_DB_CONNECTIONS); default unlimited'
    })),
    errorRate: Type.Number({ minimum: 0, maximum: 1, default: 0, description: 'seeded share of queries that fail' })
  }, { additionalProperties: false })
}

export type DbParams = Static<ReturnType<typeof dbParamsSchema>>

interface DbShared {
  permits: number
  /** absent in child processes: shared memory does not cross a process boundary */
  buffer?: SharedArrayBuffer
}

function checkDbParams (params: DbParams): string | undefined {
  const { latencyMs, p50Ms, p99Ms } = params
  if (latencyMs !== undefined && (p50Ms !== undefined || p99Ms !== undefined)) {
    return 'params: give either params/latencyMs or params/p50Ms with params/p99Ms, not both'
  }
  if ((p50Ms === undefined) !== (p99Ms === undefined)) {
    return 'params/p50Ms and params/p99Ms must be given together'
  }
  if (p50Ms !== undefined && p99Ms !== undefined && (p99Ms < p50Ms || p50Ms === 0)) {
    return `params/p50Ms must be > 0 and params/p99Ms must be >= params/p50Ms (${p50Ms})`
  }
  return undefined
}

/** The query's latency: fixed, or log-normal with the given median and p99, seeded by (seed, index). */
function queryLatency (params: DbParams, random: () => number): number {
  if (params.p50Ms === undefined || params.p99Ms === undefined) return params.latencyMs ?? DEFAULT_DB_LATENCY_MS
  const sigma = Math.log(params.p99Ms / params.p50Ms) / Z99
  return Math.min(params.p50Ms * Math.exp(sigma * standardNormal(random)), params.p99Ms * TAIL_CAP)
}

const localSemaphores = new WeakMap<object, SharedSemaphore>()

/** The job's connection pool: shared by every thread of the process; each child process gets its own. */
function connectionPool (shared: DbShared | undefined): SharedSemaphore | undefined {
  if (!shared) return undefined
  let semaphore = localSemaphores.get(shared)
  if (!semaphore) {
    semaphore = new SharedSemaphore(shared.buffer ?? SharedSemaphore.allocate(shared.permits))
    localSemaphores.set(shared, semaphore)
  }
  return semaphore
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4))

function answer (params: DbParams, context: TaskContext, random: () => number, waitMs: number): TaskResult {
  if (params.errorRate > 0 && random() < params.errorRate) {
    throw new Error(`db: query ${context.index} failed (simulated, errorRate ${params.errorRate})`)
  }
  return { value: Math.floor(random() * 100), waitMs }
}

function blockingQuery (params: DbParams, context: TaskContext): TaskResult {
  const random = seededRandom(context.seed, context.index)
  const latency = queryLatency(params, random)
  const pool = connectionPool(context.shared as DbShared | undefined)
  const queued = performance.now()
  pool?.acquireBlocking()
  const waitMs = performance.now() - queued
  try {
    // Blocks this thread for the latency, as a synchronous driver does: nothing else runs on it meanwhile.
    Atomics.wait(sleepCell, 0, 0, latency)
  } finally {
    pool?.release()
  }
  return answer(params, context, random, waitMs)
}

async function asyncQuery (params: DbParams, context: TaskContext): Promise<TaskResult> {
  const random = seededRandom(context.seed, context.index)
  const latency = queryLatency(params, random)
  const pool = connectionPool(context.shared as DbShared | undefined)
  const queued = performance.now()
  await pool?.acquire()
  const waitMs = performance.now() - queued
  try {
    await sleep(latency)
  } finally {
    pool?.release()
  }
  return answer(params, context, random, waitMs)
}

export const dbWorkload: Workload<DbParams> = {
  name: 'db',
  summary: 'simulated database query: fixed or log-normal latency, async or blocking driver, a connection pool, seeded errors',
  paramsSchema: dbParamsSchema,
  checkParams: checkDbParams,
  async prepare (params) {
    const shared: DbShared | undefined = params.connections === undefined
      ? undefined
      : { permits: params.connections, buffer: SharedSemaphore.allocate(params.connections) }
    return { shared, cleanup: async () => {} }
  },
  task: (params, context) => params.driver === 'blocking' ? blockingQuery(params, context) : asyncQuery(params, context)
}
