import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { InvalidField } from '../src/errors.js'
import { oneRunAtATime } from '../src/labs/one-run-at-a-time.js'
import { checkProducerConsumerSpec, runProducerConsumer, type ProducerConsumerSpec } from '../src/labs/producer-consumer.js'
import { StringEnum } from '../src/schema-helpers.js'

const ErrorRef = { $ref: 'Error#' }
const MAX_CAPACITY = 65_536
const MAX_WORK_US = 10_000

const Ms = (description: string) => Type.Number({ description })

const ReportSchema = Type.Object({
  producers: Type.Integer(),
  consumers: Type.Integer(),
  capacity: Type.Integer(),
  messages: Type.Integer(),
  workUs: Type.Integer(),
  produced: Type.Integer({ description: 'messages put by all producers' }),
  consumed: Type.Integer({ description: 'messages taken by all consumers' }),
  lost: Type.Integer({ description: 'produced ids no consumer took (0 when correct)' }),
  duplicates: Type.Integer({ description: 'ids taken more than once (0 when correct)' }),
  leftInQueue: Type.Integer({ description: 'items still queued after every consumer left: the seed\'s bug (0 here)' }),
  checksum: Type.Object({
    sum: Type.Integer({ description: 'sum of the consumed ids mod 2^32' }),
    expectedSum: Type.Integer(),
    xor: Type.Integer({ description: 'xor of the consumed ids' }),
    expectedXor: Type.Integer()
  }),
  verified: Type.Boolean({ description: 'every id 0 … messages − 1 consumed exactly once (counts, bitmap, checksums agree)' }),
  maxDepth: Type.Integer({ description: 'most items queued at once (≤ capacity)' }),
  producerBlockedMs: Ms('time producers waited on a full queue, summed over producers'),
  consumerBlockedMs: Ms('time consumers waited on an empty queue, summed over consumers'),
  ms: Ms('wall time from go to the last consumer leaving (thread start-up excluded)'),
  startupMs: Ms('time to start every thread'),
  messagesPerSecond: Type.Number(),
  workers: Type.Array(Type.Object({
    role: StringEnum(['producer', 'consumer'] as const),
    index: Type.Integer(),
    count: Type.Integer({ description: 'messages this thread put or took' }),
    blockedMs: Ms('time this thread waited on a full (producer) or empty (consumer) queue')
  }))
})

/**
 * POST /labs/producer-consumer — the seed's Queue + Event lesson, measured: producer and consumer threads over a
 * bounded queue in shared memory, and proof that no message is lost at shutdown.
 */
const producerConsumerRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { config } = app.lab
  const maxWorkers = config.LAB_MAX_WORKERS
  const threads = (description: string) =>
    Type.Integer({ minimum: 1, maximum: maxWorkers, default: Math.min(2, maxWorkers), description: `${description} (LAB_MAX_WORKERS)` })

  // The run in flight (one at a time), stopped when the app closes: its threads are terminated and it answers 503.
  const guard = oneRunAtATime(app, 'producer/consumer')

  app.post('/labs/producer-consumer', {
    schema: {
      summary: 'Producer/consumer threads over a bounded queue in shared memory',
      description: 'Producers put message ids 0 … messages − 1, consumers take them; after every producer has finished ' +
        'the stop event is set and consumers leave once the queue is also empty, so nothing is lost. Bounded by LAB_MAX_MS ' +
        '(504 LAB_TIMED_OUT, threads terminated). One run at a time (429 LAB_BUSY).',
      body: Type.Object({
        producers: threads('producer threads'),
        consumers: threads('consumer threads'),
        capacity: Type.Integer({ minimum: 1, maximum: MAX_CAPACITY, default: 16, description: 'queue slots' }),
        messages: Type.Integer({
          minimum: 1,
          maximum: config.LAB_MAX_OPERATIONS,
          default: Math.min(100_000, config.LAB_MAX_OPERATIONS),
          description: 'messages in total, split between producers (LAB_MAX_OPERATIONS)'
        }),
        workUs: Type.Integer({ minimum: 0, maximum: MAX_WORK_US, default: 0, description: 'busy work per message on the consumer, µs' })
      }, { additionalProperties: false }),
      response: { 200: ReportSchema, 400: ErrorRef, 413: ErrorRef, 415: ErrorRef, 429: ErrorRef, 503: ErrorRef, 504: ErrorRef }
    }
  }, async (request) => {
    const spec: ProducerConsumerSpec = request.body
    const problem = checkProducerConsumerSpec(spec, config)
    if (problem) throw new InvalidField(problem)
    return guard((signal) => runProducerConsumer(spec, { maxMs: config.LAB_MAX_MS, signal }))
  })
}

export default producerConsumerRoutes
