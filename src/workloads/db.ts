import { setTimeout as sleep } from 'node:timers/promises'
import { DEFAULT_DB_LATENCY_MS } from './db-defaults.js'
import type { DbParams } from './params/db.js'
import { seededRandom, standardNormal } from './seeded-random.js'
import { SharedSemaphore } from '../sync/semaphore.js'
import type { PreparedJob, TaskContext, TaskResult } from './workload.js'

/** z-score of the 99th percentile of a normal distribution */
const Z99 = 2.3263478740408408
/** a sampled latency is capped at this multiple of p99 (and at MAX_LATENCY_MS), so one task cannot run away */
const TAIL_CAP = 10

interface DbShared {
  permits: number
  /** absent in child processes: shared memory does not cross a process boundary */
  buffer?: SharedArrayBuffer
}

/** The query's latency: fixed, or log-normal with the given median and p99, seeded by (seed, index). */
function queryLatency (params: DbParams, random: () => number, capMs: number): number {
  if (params.p50Ms === undefined || params.p99Ms === undefined) return params.latencyMs ?? DEFAULT_DB_LATENCY_MS
  const sigma = Math.log(params.p99Ms / params.p50Ms) / Z99
  return Math.min(params.p50Ms * Math.exp(sigma * standardNormal(random)), params.p99Ms * TAIL_CAP, capMs)
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

function answer (params: DbParams, context: TaskContext, random: () => number, waitMs: number | undefined): TaskResult {
  if (params.errorRate > 0 && random() < params.errorRate) {
    // A failed query waited for its connection too: the wait goes with the error (runTask records it).
    const error = new Error(`db: query ${context.index} failed (simulated, errorRate ${params.errorRate})`)
    throw waitMs === undefined ? error : Object.assign(error, { waitMs })
  }
  const result: TaskResult = { value: Math.floor(random() * 100) }
  if (waitMs !== undefined) result.waitMs = waitMs
  return result
}

function blockingQuery (params: DbParams, context: TaskContext): TaskResult {
  const random = seededRandom(context.seed, context.index)
  const latency = queryLatency(params, random, context.latencyCapMs)
  const pool = connectionPool(context.shared as DbShared | undefined)
  const queued = performance.now()
  // Waiting for a connection and for the answer is I/O: the GIL is free meanwhile, as CPython frees it.
  context.gil.blocking(() => pool?.acquireBlocking())
  const waitMs = pool ? performance.now() - queued : undefined
  try {
    // Blocks this thread for the latency, as a synchronous driver does: nothing else runs on it meanwhile.
    context.gil.blocking(() => Atomics.wait(sleepCell, 0, 0, latency))
  } finally {
    pool?.release()
  }
  return answer(params, context, random, waitMs)
}

async function asyncQuery (params: DbParams, context: TaskContext): Promise<TaskResult> {
  const random = seededRandom(context.seed, context.index)
  const latency = queryLatency(params, random, context.latencyCapMs)
  const pool = connectionPool(context.shared as DbShared | undefined)
  const queued = performance.now()
  await context.gil.io(async () => { await pool?.acquire() })
  const waitMs = pool ? performance.now() - queued : undefined
  try {
    await context.gil.io(() => sleep(latency, undefined, context.signal ? { signal: context.signal } : undefined))
  } finally {
    pool?.release()
  }
  return answer(params, context, random, waitMs)
}

/** Simulated database query: fixed or log-normal latency, async or blocking driver, connection pool, seeded errors. */
export function dbTask (params: DbParams, context: TaskContext): TaskResult | Promise<TaskResult> {
  return params.driver === 'blocking' ? blockingQuery(params, context) : asyncQuery(params, context)
}

/** The job's connection pool, in shared memory so every thread of the job draws from the same one. */
export async function prepareDbJob (params: DbParams): Promise<PreparedJob> {
  const shared: DbShared | undefined = params.connections === undefined
    ? undefined
    : { permits: params.connections, buffer: SharedSemaphore.allocate(params.connections) }
  return { shared, cleanup: async () => {} }
}
