import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { Config } from '../src/config.js'
import { cpythonRequestSchema } from '../src/cpython/cpython-schema.js'
import { runOriginal } from '../src/cpython/run-original.js'
import { runDeadlockLab } from '../src/labs/deadlock.js'
import { DEADLOCK_STRATEGIES, workersProblem } from '../src/labs/deadlock-messages.js'
import { CpythonDeadlockSchema, DeadlockReportSchema, type CpythonDeadlockReport } from '../src/labs/deadlock-schema.js'
import { InvalidField } from '../src/errors.js'
import { oneRunAtATime } from '../src/labs/one-run-at-a-time.js'
import { StringEnum } from '../src/schema-helpers.js'

const ErrorRef = { $ref: 'Error#' }
/** Workers of one run, whatever LAB_MAX_WORKERS allows: a ring of 16 already shows everything. */
const MAX_RING = 16

function deadlockBodySchema (config: Config) {
  return Type.Object({
    workers: Type.Integer({ minimum: 1, maximum: Math.min(config.LAB_MAX_WORKERS, MAX_RING), default: 2, description: `threads, at most ${MAX_RING} (LAB_MAX_WORKERS); at least 2 for the ring strategies, never-released and released-in-finally, 1 for double-acquire and reentrant` }),
    strategy: StringEnum(DEADLOCK_STRATEGIES, {
      default: 'opposite-order',
      description: 'opposite-order: lock i then lock i+1 mod N (a cycle: deadlock); ordered: lower-numbered lock first (no cycle); timeout: tryLock with tryLockMs, on failure release, back off, retry; ' +
        'double-acquire: each worker takes its own non-reentrant lock twice (self-deadlock); reentrant: an RLock taken twice and released twice, then released once more (refused: not the owner); ' +
        'never-released: the holder of lock 0 throws without releasing it (its waiters are stuck: abandoned); released-in-finally: the same, released in finally (every waiter gets it)'
    }),
    holdMs: Type.Integer({ minimum: 0, maximum: 10_000, default: 50, description: 'how long a worker holds its first lock before it takes the second' }),
    tryLockMs: Type.Integer({ minimum: 1, maximum: 10_000, default: 20, description: 'timeout: how long one tryLock waits' }),
    maxAttempts: Type.Integer({ minimum: 1, maximum: 10_000, default: 100, description: 'timeout: attempts at both locks before a worker gives up' }),
    watchdogMs: Type.Integer({ minimum: 10, maximum: config.LAB_MAX_MS, default: Math.min(500, config.LAB_MAX_MS), description: 'the watchdog inspects the wait-for table this long after the start, then as often (LAB_MAX_MS)' }),
    seed: Type.Integer({ minimum: 0, maximum: 4_294_967_295, default: 1, description: 'timeout: seeds the random back-off of each worker' }),
    cpython: cpythonRequestSchema()
  }, { additionalProperties: false })
}

/**
 * POST /labs/deadlock — a lock-ordering deadlock made, found by a watchdog, and ended; two ways to avoid it; and the
 * seed's own deadlock (a lock taken twice, a lock never released) beside the RLock and `finally` that avoid it.
 */
const deadlockRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { config } = app.lab
  // A run holds up to 16 threads, some of them blocked on purpose.
  const guard = oneRunAtATime(app, 'deadlock lab')

  app.post('/labs/deadlock', {
    schema: {
      summary: 'Deadlock lab: workers take locks; a watchdog detects a deadlock (cycle, self, abandoned) and resolves it',
      description: 'The blocking happens in worker threads, never in the main thread: the service keeps answering. The whole run is stopped with LAB_TIMED_OUT after LAB_MAX_MS. ' +
        'With cpython: true, python/deadlock.py runs the same strategy with threading.Lock / RLock; its watchdog finds the deadlock but cannot end it (Python cannot kill a thread).',
      body: deadlockBodySchema(config),
      response: { 200: DeadlockReportSchema, 400: ErrorRef, 413: ErrorRef, 415: ErrorRef, 429: ErrorRef, 503: ErrorRef, 504: ErrorRef }
    }
  }, async (request) => {
    const { cpython, ...options } = request.body
    const problem = workersProblem(options.strategy, options.workers)
    if (problem) throw new InvalidField(problem)
    return guard(async (signal) => {
      const report = await runDeadlockLab(options, { maxMs: config.LAB_MAX_MS, signal })
      const original = await runOriginal<CpythonDeadlockReport>({
        requested: cpython, script: 'deadlock.py', params: options, resultSchema: CpythonDeadlockSchema, executable: config.PYTHON, timeoutMs: config.LAB_MAX_MS, signal, what: `deadlock lab (${options.strategy})`
      })
      return { ...report, cpython: original }
    })
  })
}

export default deadlockRoutes
