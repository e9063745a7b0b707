import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { JobView, Progress } from '../src/jobs/job.js'

const HEARTBEAT_MS = 15_000

/**
 * GET /jobs/:id/events — server-sent events: the current progress at once, `progress` events while the job runs
 * (at most one per PROGRESS_INTERVAL_MS), then one `end` event with the finished job, and the stream closes.
 */
const jobEventRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/jobs/:id/events', {
    schema: {
      summary: 'Progress of a job as server-sent events',
      params: Type.Object({ id: Type.String() }),
      response: { 404: { $ref: 'Error#' } }
    }
  }, async (request, reply) => {
    const job = app.lab.scheduler.get(request.params.id)
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
    const onProgress = (progress: Progress) => send('progress', progress)
    const onEnd = (view: JobView) => {
      send('end', view)
      raw.end()
    }
    const heartbeat = setInterval(() => raw.write(': keep-alive\n\n'), HEARTBEAT_MS)
    const unsubscribe = () => {
      clearInterval(heartbeat)
      job.off('progress', onProgress)
      job.off('end', onEnd)
    }
    job.on('progress', onProgress)
    job.once('end', onEnd)
    raw.on('close', unsubscribe)
    send('progress', { ...job.progress })
  })
}

export default jobEventRoutes
