import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { sendFormatted, type TextFormats } from '../src/formatted-reply.js'
import { JOB_STATUSES, JobViewSchema, type JobView } from '../src/jobs/job.js'
import { jobAsCsv, jobAsTable, seriesAsCsv, seriesAsTable, type SeriesView } from '../src/jobs/job-formats.js'
import { SeriesRowSchema } from '../src/measure/report-schema.js'
import { StringEnum } from '../src/schema-helpers.js'

const ErrorRef = { $ref: 'Error#' }
const jobFormats: TextFormats<JobView> = { csv: jobAsCsv, table: jobAsTable }
const seriesFormats: TextFormats<SeriesView> = { csv: seriesAsCsv, table: seriesAsTable }
const IdParams = Type.Object({ id: Type.String({ description: 'job id' }) })

/** Jobs: submit, list, read (JSON, text table, CSV), cancel. */
const jobRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { config, scheduler, specs } = app.lab

  app.post('/jobs', {
    schema: {
      summary: 'Submit a job',
      description: 'Queues a job (FIFO, MAX_RUNNING_JOBS at a time). `?wait=true` answers 200 with the finished job: JSON, or an aligned table with Accept: text/plain, or CSV with Accept: text/csv.',
      body: specs.schema,
      querystring: Type.Object({ wait: Type.Boolean({ default: false, description: 'answer when the job has ended' }) }, { additionalProperties: false }),
      response: { 200: JobViewSchema, 202: JobViewSchema, 400: ErrorRef, 413: ErrorRef, 415: ErrorRef, 429: ErrorRef, 503: ErrorRef }
    }
  }, async (request, reply) => {
    const job = scheduler.submit(specs.normalize(request.body))
    reply.header('location', `/jobs/${job.id}`)
    if (!request.query.wait) return reply.code(202).send(job.view())
    await job.ended()
    return sendFormatted(request, reply, job.view(), jobFormats)
  })

  app.get('/jobs', {
    schema: {
      summary: 'Recent jobs, newest first',
      querystring: Type.Object({
        status: Type.Optional(StringEnum(JOB_STATUSES)),
        limit: Type.Integer({ minimum: 1, maximum: config.MAX_STORED_JOBS, default: Math.min(50, config.MAX_STORED_JOBS), description: 'at most this many (MAX_STORED_JOBS)' })
      }, { additionalProperties: false }),
      response: { 200: Type.Object({ jobs: Type.Array(JobViewSchema) }), 400: ErrorRef }
    }
  }, async (request) => ({ jobs: scheduler.list(request.query.status, request.query.limit).map((job) => job.view()) }))

  app.get('/jobs/:id', {
    schema: {
      summary: 'One job: JSON, or an aligned table with Accept: text/plain, or CSV with Accept: text/csv',
      params: IdParams,
      response: { 200: JobViewSchema, 404: ErrorRef }
    }
  }, async (request, reply) => {
    return sendFormatted(request, reply, scheduler.get(request.params.id).view(), jobFormats)
  })

  app.get('/jobs/:id/series', {
    schema: {
      summary: 'A job\'s series: one row per seriesIntervalMs of its run (JSON, or CSV with Accept: text/csv); empty until it has ended',
      params: IdParams,
      response: { 200: Type.Object({ intervalMs: Type.Union([Type.Number(), Type.Null()]), rows: Type.Array(SeriesRowSchema) }), 404: ErrorRef }
    }
  }, async (request, reply) => {
    const { report } = scheduler.get(request.params.id)
    const series = { intervalMs: report?.seriesIntervalMs ?? null, rows: report?.series ?? [] }
    return sendFormatted(request, reply, series, seriesFormats)
  })

  app.delete('/jobs/:id', {
    schema: {
      summary: 'Cancel a queued or running job; answers the cancelled job with its partial report',
      params: IdParams,
      response: { 200: JobViewSchema, 404: ErrorRef, 409: ErrorRef }
    }
  }, async (request) => (await scheduler.cancel(request.params.id)).view())
}

export default jobRoutes
