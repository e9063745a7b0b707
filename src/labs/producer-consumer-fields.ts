/**
 * The producer/consumer fields both answers carry, the Node report (producer-consumer-schema.ts) and CPython's
 * (producer-consumer-cpython.ts), defined once so the two compare field for field: the run's parameters as they are
 * echoed, and the counts that say whether anything went wrong.
 */
import { Type } from 'typebox'
import { StringEnum } from '../schema-helpers.js'
import { STOP_STYLES, WORK_KINDS } from './producer-consumer-messages.js'

/** The parameters of the run, echoed (the body's bounds and defaults are in producerConsumerBodySchema). */
export function runFields () {
  return {
    producers: Type.Integer(),
    consumers: Type.Integer(),
    capacity: Type.Integer(),
    messages: Type.Integer(),
    work: StringEnum(WORK_KINDS),
    workUs: Type.Integer(),
    stop: StringEnum(STOP_STYLES),
    getTimeoutMs: Type.Integer()
  }
}

/** What became of the messages and the threads. */
export function countFields () {
  return {
    produced: Type.Integer({ description: 'messages put by all producers (sentinels not counted)' }),
    consumed: Type.Integer({ description: 'messages taken by all consumers' }),
    lost: Type.Integer({ description: 'produced ids no consumer took (0 when correct; seed-event: the messages put after the consumers had left)' }),
    duplicates: Type.Integer({ description: 'ids taken more than once (0 when correct)' }),
    leftInQueue: Type.Integer({ description: 'items still queued at the end (0 when correct)' }),
    stuck: Type.Integer({ description: 'consumers still waiting in get() when nothing could wake them any more (0 when correct): Node terminates their threads; Python cannot, its process exits under them (daemon threads)' }),
    stuckProducers: Type.Integer({ description: 'producers still waiting in put() on a full queue nobody takes from (0 when correct)' }),
    timeouts: Type.Integer({ description: 'seed-event with getTimeoutMs: get(timeout=…) calls that timed out' })
  }
}

export const THREAD_ENDS = ['returned', 'stuck', 'daemon'] as const
export const THREAD_ENDED_DESCRIPTION = 'returned; stuck (nothing could wake it: Node terminates it); daemon (join: left in get() when Queue.join() returned, ended as daemon threads are at exit)'
