import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { InvalidField } from '../src/errors.js'
import { oneRunAtATime } from '../src/labs/one-run-at-a-time.js'
import { checkProducerConsumerSpec, runProducerConsumer } from '../src/labs/producer-consumer.js'
import { runProducerConsumerOriginal } from '../src/labs/producer-consumer-cpython.js'
import { ProducerConsumerReportSchema, producerConsumerBodySchema } from '../src/labs/producer-consumer-schema.js'

const ErrorRef = { $ref: 'Error#' }

/**
 * POST /labs/producer-consumer — the seed's Queue + Event lesson, measured: producer and consumer threads over a
 * bounded queue in shared memory, stopped four ways (the seed's event, sentinels, Queue.join, Queue.shutdown), with
 * or without an emulated GIL, and beside it the same run on CPython (cpython: true).
 */
const producerConsumerRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { config } = app.lab

  // The run in flight (one at a time), stopped when the app closes: its threads are terminated and it answers 503.
  const guard = oneRunAtATime(app, 'producer/consumer')

  app.post('/labs/producer-consumer', {
    schema: {
      summary: 'Producer/consumer threads over a bounded queue in shared memory, stopped four ways',
      description: 'Producers put message ids 0 … messages − 1, consumers take them and do cpu or io work per message, with or without an ' +
        'emulated GIL; the stop style decides how consumers learn there is no more (seed-event reproduces the seed\'s bug: messages lost, ' +
        'consumers stuck, reported and their threads terminated). Bounded by LAB_MAX_MS (504 LAB_TIMED_OUT, threads terminated). ' +
        'One run at a time (429 LAB_BUSY). With cpython: true, python/producer_consumer.py then runs the same parameters on CPython.',
      body: producerConsumerBodySchema(config),
      response: { 200: ProducerConsumerReportSchema, 400: ErrorRef, 413: ErrorRef, 415: ErrorRef, 429: ErrorRef, 503: ErrorRef, 504: ErrorRef }
    }
  }, async (request) => {
    const { cpython, ...spec } = request.body
    const problem = checkProducerConsumerSpec(spec, config, { cpython })
    if (problem) throw new InvalidField(problem)
    return guard(async (signal) => {
      const report = await runProducerConsumer(spec, { maxMs: config.LAB_MAX_MS, signal })
      const answer = await runProducerConsumerOriginal({ requested: cpython, spec, executable: config.PYTHON, maxMs: config.LAB_MAX_MS, signal })
      return { ...report, cpython: answer }
    })
  })
}

export default producerConsumerRoutes
