/**
 * POST /labs/producer-consumer: the body (bounds from config) and the report, as TypeBox schemas.
 */
import { Type, type Static } from 'typebox'
import type { Config } from '../config.js'
import { cpythonAnswerSchema, cpythonRequestSchema } from '../cpython/cpython-schema.js'
import { StringEnum } from '../schema-helpers.js'
import { CpythonProducerConsumerResultSchema } from './producer-consumer-cpython.js'
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
    switchIntervalMs: Type.Number({ minimum: 0.1, maximum: 1000, default: 5, description: 'with gil: a thread holding the GIL hands it over after this long when another waits (CPython: sys.getswitchinterval() = 5 ms)' }),
    stop: StringEnum(STOP_STYLES, { default: 'sentinel', description: STOP_DESCRIPTION }),
    getTimeoutMs: Type.Integer({ minimum: 0, maximum: 10_000, default: 0, description: 'seed-event only: the consumers\' get(timeout=…) in ms; 0 = get() with no timeout, as the seed wrote it (a consumer can then wait forever)' }),
    cpython: cpythonRequestSchema()
  }, { additionalProperties: false })
}
export type ProducerConsumerBody = Static<ReturnType<typeof producerConsumerBodySchema>>

const Ms = (description: string) => Type.Number({ description })
const THREAD_ENDS = ['returned', 'stuck', 'daemon'] as const

export const ProducerConsumerReportSchema = Type.Object({
  producers: Type.Integer(),
  consumers: Type.Integer(),
  capacity: Type.Integer(),
  messages: Type.Integer(),
  work: StringEnum(WORK_KINDS),
  workUs: Type.Integer(),
  gil: Type.Boolean(),
  switchIntervalMs: Type.Number(),
  stop: StringEnum(STOP_STYLES),
  getTimeoutMs: Type.Integer(),
  produced: Type.Integer({ description: 'messages put by all producers (sentinels not counted)' }),
  consumed: Type.Integer({ description: 'messages taken by all consumers' }),
  lost: Type.Integer({ description: 'produced ids no consumer took (0 when correct; seed-event: the messages put after the consumers had left)' }),
  duplicates: Type.Integer({ description: 'ids taken more than once (0 when correct)' }),
  leftInQueue: Type.Integer({ description: 'items still queued at the end (0 when correct)' }),
  stuck: Type.Integer({ description: 'consumers still waiting in get() when nothing could wake them any more: reported, their threads terminated (0 when correct)' }),
  stuckProducers: Type.Integer({ description: 'producers still waiting in put() on a full queue nobody takes from (0 when correct)' }),
  timeouts: Type.Integer({ description: 'seed-event with getTimeoutMs: get(timeout=…) calls that timed out' }),
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
    timeouts: Type.Integer({ description: 'seed-event: its get(timeout=…) calls that timed out' }),
    ended: StringEnum(THREAD_ENDS, { description: 'returned; stuck (terminated: nothing could wake it); daemon (join: left in get() when Queue.join() returned, ended as daemon threads are at exit)' })
  })),
  cpython: cpythonAnswerSchema(CpythonProducerConsumerResultSchema)
})

/** The whole answer: the Node run's report and the `cpython` field. */
export type ProducerConsumerAnswer = Static<typeof ProducerConsumerReportSchema>
