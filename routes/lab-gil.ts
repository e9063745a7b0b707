import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { runOriginal } from '../src/cpython/run-original.js'
import { runGilLab } from '../src/labs/gil.js'
import { GilLabReportSchema, gilBodySchema, CpythonGilSchema, type CpythonGilReport } from '../src/labs/gil-schema.js'
import { oneRunAtATime } from '../src/labs/one-run-at-a-time.js'

const ErrorRef = { $ref: 'Error#' }

/** POST /labs/gil — the GIL's lessons measured: hold time, the convoy effect, CPU speedup, C code that releases it. */
const gilRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { config } = app.lab
  const guard = oneRunAtATime(app, 'GIL lab')

  app.post('/labs/gil', {
    schema: {
      summary: 'GIL lab: hold time, convoy effect, CPU speedup and C code releasing the lock, under the emulated GIL (and CPython)',
      description: 'Each part runs in fresh threads under a lock of its own. The whole Node run is stopped with LAB_TIMED_OUT after LAB_MAX_MS; with cpython: true python/gil.py then runs the same parts.',
      body: gilBodySchema(config),
      response: { 200: GilLabReportSchema, 400: ErrorRef, 413: ErrorRef, 415: ErrorRef, 429: ErrorRef, 503: ErrorRef, 504: ErrorRef }
    }
  }, async (request) => {
    const { cpython: requested, ...options } = request.body
    return guard(async (signal) => {
      const report = await runGilLab(options, { maxMs: config.LAB_MAX_MS, signal })
      const cpython = await runOriginal<CpythonGilReport>({
        // maxMs: the script bounds its own waits too (run by hand it has no service to kill it)
        requested, script: 'gil.py', params: { ...options, maxMs: config.LAB_MAX_MS }, resultSchema: CpythonGilSchema, executable: config.PYTHON, timeoutMs: config.LAB_MAX_MS, signal, what: 'GIL lab'
      })
      return { ...report, cpython }
    })
  })
}

export default gilRoutes
