import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { TooManyJobStreams, TooManyStreams, withRetryAfter } from '../src/errors.js'
import type { JobView, Progress } from '../src/jobs/job.js'

const HEARTBEAT_MS = 15_000
/** what a 429 asks a client to wait: streams free up as jobs end or clients leave, which nothing here can predict */
const STREAM_RETRY_AFTER_S = 5

/**
 * GET /jobs/:id/events — server-sent events: the current progress at once, `progress` events while the job runs
 * (at most one per PROGRESS_INTERVAL_MS), then one `end` event with the finished job, and the stream closes.
 * A stream holds a connection for the life of its job, so at most MAX_SSE_STREAMS are open, MAX_SSE_STREAMS_PER_JOB
 * of one job (429 TOO_MANY_STREAMS beyond, with Retry-After); a finished job's stream ends at once and is not counted.
 */
const jobEventRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { config } = app.lab
  // A keep-alive comment more often than CONNECTION_TIMEOUT_MS, or a quiet stream would be closed as idle.
  const heartbeatMs = Math.min(HEARTBEAT_MS, Math.floor(config.CONNECTION_TIMEOUT_MS / 2))
  let open = 0
  const openPerJob = new Map<string, number>()

  app.get('/jobs/:id/events', {
    schema: {
      summary: 'Progress of a job as server-sent events',
      params: Type.Object({ id: Type.String() }),
      response: { 404: { $ref: 'Error#' }, 429: { $ref: 'Error#' } }
    }
  }, async (request, reply) => {
    const job = app.lab.scheduler.get(request.params.id)
    const ofJob = openPerJob.get(job.id) ?? 0
    if (!job.isFinished) {
      if (ofJob >= config.MAX_SSE_STREAMS_PER_JOB) throw withRetryAfter(new TooManyJobStreams(job.id, ofJob), STREAM_RETRY_AFTER_S)
      if (open >= config.MAX_SSE_STREAMS) throw withRetryAfter(new TooManyStreams(open), STREAM_RETRY_AFTER_S)
    }
    reply.hijack()
    const raw = reply.raw
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-request-id': String(request.id)
    })
    const send = (event: string, data: unknown) => raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)
    if (job.isFinished) {
      send('end', job.view())
      raw.end()
      return
    }
    open++
    openPerJob.set(job.id, ofJob + 1)
    const onProgress = (progress: Progress) => send('progress', progress)
    const onEnd = (view: JobView) => {
      send('end', view)
      raw.end()
    }
    const heartbeat = setInterval(() => raw.write(': keep-alive\n\n'), heartbeatMs)
    const unsubscribe = () => {
      clearInterval(heartbeat)
      job.off('progress', onProgress)
      job.off('end', onEnd)
      open--
      const left = (openPerJob.get(job.id) ?? 1) - 1
      if (left > 0) openPerJob.set(job.id, left)
      else openPerJob.delete(job.id)
    }
    job.on('progress', onProgress)
    job.once('end', onEnd)
    raw.once('close', unsubscribe)
    send('progress', { ...job.progress })
  })
}

export default jobEventRoutes
