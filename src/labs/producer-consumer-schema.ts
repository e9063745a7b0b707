/**
 * POST /labs/producer-consumer: the body (bounds from config) and the report, as TypeBox schemas.
 */
import { Type, type Static } from 'typebox'
import type { Config } from '../config.js'
import { cpythonAnswerSchema, cpythonRequestSchema } from '../cpython/cpython-schema.js'
import { StringEnum, switchIntervalSchema } from '../schema-helpers.js'
import { CpythonProducerConsumerResultSchema } from './producer-consumer-cpython.js'
import { THREAD_ENDED_DESCRIPTION, THREAD_ENDS, countFields, runFields } from './producer-consumer-fields.js'
import { STOP_STYLES, WORK_KINDS } from './producer-consumer-messages.js'

export const MAX_CAPACITY = 65_536
export const MAX_WORK_US = 10_000

export const STOP_DESCRIPTION = 'how the consumers are stopped: sentinel (one per consumer after the last message, the classic), ' +
  'join (Queue.join() / task_done(): daemon consumers), shutdown (3.13\'s Queue.shutdown(): get() raises ShutDown once empty), ' +
  'seed-event (the seed\'s `while not event.is_set() or not q.empty(): q.get()`, the event set while the producers still put: messages lost, consumers stuck)'

export function producerConsumerBodySchema (config: Config) {
  const maxWorkers = config.LAB_MAX_WORKERS
  const threads = (description: string) =>
    Type.Integer({ minimum: 1, maximum: maxWorkers, default: Math.min(2, maxWorkers), description: `${description} (LAB_MAX_WORKERS)` })
  return Type.Object({
    producers: threads('producer threads'),
    consumers: threads('consumer threads'),
    capacity: Type.Integer({ minimum: 1, maximum: MAX_CAPACITY, default: 16, description: 'queue slots (Queue(maxsize))' }),
    messages: Type.Integer({
      minimum: 1,
      maximum: config.LAB_MAX_OPERATIONS,
      default: Math.min(100_000, config.LAB_MAX_OPERATIONS),
      description: 'messages in total, split between producers (LAB_MAX_OPERATIONS)'
    }),
    work: StringEnum(WORK_KINDS, { default: 'cpu', description: 'the consumer\'s work per message: cpu (pure-Python work: holds the GIL) or io (a sleep, time.sleep: releases it)' }),
    workUs: Type.Integer({ minimum: 0, maximum: MAX_WORK_US, default: 0, description: 'work per message on the consumer, µs' }),
    gil: Type.Boolean({ default: false, description: 'the lab\'s threads share an emulated GIL (CPython with its GIL); false: free-threaded 3.13t, or C code that releases it' }),
    switchIntervalMs: switchIntervalSchema('with gil: a thread holding the GIL hands it over after this long when another waits'),
    stop: StringEnum(STOP_STYLES, { default: 'sentinel', description: STOP_DESCRIPTION }),
    getTimeoutMs: Type.Integer({ minimum: 0, maximum: 10_000, default: 0, description: 'seed-event only: the consumers\' get(timeout=…) in ms; 0 = get() with no timeout, as the seed wrote it (a consumer can then wait forever)' }),
    cpython: cpythonRequestSchema()
  }, { additionalProperties: false })
}
export type ProducerConsumerBody = Static<ReturnType<typeof producerConsumerBodySchema>>

const Ms = (description: string) => Type.Number({ description })

export const ProducerConsumerReportSchema = Type.Object({
  ...runFields(),
  gil: Type.Boolean(),
  switchIntervalMs: Type.Number(),
  ...countFields(),
  ending: StringEnum(['returned', 'joined', 'stuck'] as const, { description: 'returned: every thread returned; joined: Queue.join() returned (the daemon consumers were ended); stuck: the watchdog found threads nothing could wake, and ended them' }),
  checksum: Type.Object({
    sum: Type.Integer({ description: 'sum of the consumed ids mod 2^32' }),
    expectedSum: Type.Integer(),
    xor: Type.Integer({ description: 'xor of the consumed ids' }),
    expectedXor: Type.Integer()
  }),
  verified: Type.Boolean({ description: 'every id 0 … messages − 1 consumed exactly once, nothing left, nobody stuck (counts, bitmap, checksums agree)' }),
  maxDepth: Type.Integer({ description: 'most items queued at once (≤ capacity)' }),
  producerBlockedMs: Ms('time producers waited on a full queue, summed over producers'),
  consumerBlockedMs: Ms('time consumers waited on an empty queue, summed over consumers (waits that ended)'),
  gilWaitMs: Ms('time the threads waited for the GIL, summed (0 without gil)'),
  consumerCpuMs: Type.Union([Type.Number(), Type.Null()], { description: 'CPU time the consumers ran, summed (Linux: each thread\'s scheduler clock); ÷ ms = the cores they kept busy at once: at most about 1 under the GIL with cpu work; null where a thread\'s clock cannot be read' }),
  consumerCoreWaitMs: Type.Union([Type.Number(), Type.Null()], { description: 'time the consumers were runnable but waited for a core (the machine\'s other load), summed; (consumerCpuMs + this) ÷ ms = how many consumers were running or waiting for a core at once: with cpu work and no GIL about `consumers`, whatever the load (each spins the whole run); under the GIL the waiters sleep, but on a busy machine every wake-up waits for a core too' }),
  ms: Ms('wall time from go to the end: the last thread returned, Queue.join() returned, or the stuck verdict (thread start-up excluded)'),
  startupMs: Ms('time to start every thread'),
  messagesPerSecond: Type.Number({ description: 'consumed ÷ ms' }),
  lesson: Type.String({ description: 'what this run shows, in a sentence' }),
  workers: Type.Array(Type.Object({
    role: StringEnum(['producer', 'consumer'] as const),
    index: Type.Integer(),
    count: Type.Integer({ description: 'messages this thread put or took' }),
    blockedMs: Ms('time this thread waited on a full (producer) or empty (consumer) queue'),
    gilWaitMs: Ms('time this thread waited for the GIL'),
    cpuMs: Type.Union([Type.Number(), Type.Null()], { description: 'CPU time this thread ran from go to its end (waits for a core, the queue or the GIL not counted); null where it cannot be read' }),
    coreWaitMs: Type.Union([Type.Number(), Type.Null()], { description: 'time this thread was runnable but waited for a core; null where it cannot be read' }),
    timeouts: Type.Integer({ description: 'seed-event: its get(timeout=…) calls that timed out' }),
    ended: StringEnum(THREAD_ENDS, { description: THREAD_ENDED_DESCRIPTION })
  })),
  cpython: cpythonAnswerSchema(CpythonProducerConsumerResultSchema)
})

/** The whole answer: the Node run's report and the `cpython` field. */
export type ProducerConsumerAnswer = Static<typeof ProducerConsumerReportSchema>
