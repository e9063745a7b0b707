import { availableParallelism } from 'node:os'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { planComparison, runComparison } from '../src/labs/compare.js'
import { compareBodySchema, ComparisonSchema, type CompareBody } from '../src/labs/compare-schema.js'
import { comparisonAsCsv, comparisonAsTable } from '../src/labs/compare-table.js'
import { runCompareOriginal } from '../src/labs/compare-cpython.js'
import { oneRunAtATime } from '../src/labs/one-run-at-a-time.js'
import { sendFormatted } from '../src/formatted-reply.js'

const ErrorRef = { $ref: 'Error#' }

/**
 * POST /experiments/compare: the headline experiment. The same workload across modes and concurrency levels, one
 * job after another, as a table of speedups against inline at concurrency 1. The request waits for every run
 * (each bounded by `timeoutMs`); if the client goes away, the running job is cancelled and no more are started.
 */
const compareRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { scheduler, specs } = app.lab
  const { config } = specs
  const cores = availableParallelism()
  // One experiment at a time: each queues its runs as jobs, and many at once kept the job queue full for hours.
  const guard = oneRunAtATime(app, 'compare experiment', { claimsCores: false })

  app.post('/experiments/compare', {
    schema: {
      summary: 'Compare modes and concurrency levels on one workload',
      description: 'Runs one job per (mode, concurrency) one after another, plus inline at concurrency 1 first as the ' +
        'baseline, and answers speedup, efficiency, Karp–Flatt serial fraction, CPU and start-up per run when all ' +
        'have ended. JSON, or an aligned table with Accept: text/plain, or CSV with Accept: text/csv. With cpython: true, ' +
        'python/compare.py then measures CPython\'s thread and process-pool start-up (fork, forkserver, spawn) and the same hash ' +
        'tasks through ThreadPoolExecutor and ProcessPoolExecutor at the same levels (its own LAB_MAX_MS).',
      body: compareBodySchema(specs, cores),
      response: { 200: ComparisonSchema, 400: ErrorRef, 413: ErrorRef, 415: ErrorRef, 429: ErrorRef, 503: ErrorRef }
    }
  }, async (request, reply) => {
    // Not request.raw's 'close': since Node 16 it fires as soon as the body has been read. The response's 'close'
    // before it has been sent means the connection went away.
    const disconnected = new AbortController()
    const onClose = () => {
      if (!reply.raw.writableEnded) disconnected.abort()
    }
    const context = { specs, cores, scheduler }
    const body = request.body as CompareBody
    const plan = planComparison(body, context)
    const timeoutMs = plan.runs[0]!.spec.timeoutMs
    // Each run is bounded by timeoutMs once it runs; the log says how long the request may wait at most.
    request.log.info({ runs: plan.runs.length, skipped: plan.skipped.length, timeoutMs, runningAtMostMs: plan.runs.length * timeoutMs },
      'compare: started')
    reply.raw.on('close', onClose)
    if (request.raw.socket?.destroyed) disconnected.abort() // gone before the handler ran
    let comparison
    try {
      comparison = await guard(async (closing) => {
        const signal = AbortSignal.any([disconnected.signal, closing])
        const node = await runComparison(plan, context, signal)
        // After the Node runs, never beside them (they would share the cores); not for a client that has gone.
        const cpython = await runCompareOriginal({
          requested: body.cpython && !signal.aborted,
          spec: plan.runs[0]!.spec,
          concurrency: body.concurrency,
          executable: config.PYTHON,
          maxMs: config.LAB_MAX_MS,
          signal: closing
        })
        return { ...node, cpython }
      })
    } finally {
      reply.raw.off('close', onClose)
    }
    if (disconnected.signal.aborted) {
      request.log.info({ rows: comparison.rows.length }, 'compare: client disconnected; the running job was cancelled, the rest not run')
    } else {
      request.log.info({ rows: comparison.rows.length, elapsedMs: comparison.elapsedMs }, 'compare: finished')
    }
    return sendFormatted(request, reply, comparison, { csv: comparisonAsCsv, table: comparisonAsTable })
  })
}

export default compareRoutes
