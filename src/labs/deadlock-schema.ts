/**
 * The deadlock lab's answer: the Node run (threads, the wait-for table in shared memory, a watchdog that terminates
 * the stuck threads) and, with cpython: true, the same run of python/deadlock.py — the same field names where the
 * figure is the same, plus what only Python has to say: its stuck threads cannot be ended.
 */
import { Type, type Static, type TSchema } from 'typebox'
import { cpythonAnswerSchema } from '../cpython/cpython-schema.js'
import { StringEnum } from '../schema-helpers.js'
import { DEADLOCK_STRATEGIES } from './deadlock-messages.js'

const nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()])

const EdgeSchema = Type.Object({
  worker: Type.Integer(),
  holds: Type.Integer({ description: 'the lock it holds (the one the previous worker of the cycle waits for)' }),
  waitsFor: Type.Integer(),
  heldBy: Type.Integer({ description: 'the worker holding waitsFor: the next edge of the cycle' })
})

const KindSchema = StringEnum(['cycle', 'self', 'abandoned'] as const, { description: 'cycle: locks taken in opposite orders; self: a non-reentrant lock taken twice by its holder; abandoned: a lock whose owner is gone; null without a deadlock' })

const AbandonedSchema = Type.Object({
  lock: Type.Integer(),
  owner: Type.Integer({ description: 'the worker that held it and is gone' }),
  waiters: Type.Array(Type.Integer(), { description: 'the workers blocked on it' })
}, { description: 'kind abandoned: the lock left held by a gone owner' })

/** What both runs report, figure for figure; `resolvedBy` and `ms` say what each run could do about a deadlock. */
function sharedFields<R extends TSchema, M extends TSchema> (resolvedBy: R, ms: M) {
  return {
    strategy: StringEnum(DEADLOCK_STRATEGIES),
    workers: Type.Integer(),
    deadlocked: Type.Boolean(),
    kind: nullable(KindSchema),
    cycle: Type.Array(EdgeSchema, { description: 'the wait-for cycle the watchdog found (self: one edge, worker waiting for itself); [] without one' }),
    abandoned: nullable(AbandonedSchema),
    acquisitions: Type.Integer({ description: 'lock() calls that returned, all workers' }),
    releases: Type.Integer({ description: 'unlock() calls done, all workers' }),
    detectedBy: nullable(Type.String()),
    resolvedBy,
    detectedAfterMs: nullable(Type.Number({ description: 'start → deadlock found' })),
    ms,
    startupMs: Type.Number({ description: 'spawn → every thread waiting at the start gate' }),
    inspections: Type.Integer({ description: 'times the watchdog read the wait-for table' })
  }
}

function workerFields () {
  return {
    worker: Type.Integer(),
    locks: Type.Array(Type.Integer(), { description: 'the locks it takes, in order (ring: its two locks; double-acquire, reentrant: one lock twice)' }),
    acquired: Type.Boolean({ description: 'held its locks and did its work' }),
    attempts: Type.Integer(),
    backoffs: Type.Integer(),
    acquisitions: Type.Integer(),
    releases: Type.Integer(),
    unlockError: nullable(Type.String({ description: 'reentrant: the refused unlock by a non-owner (CPython: RuntimeError)' })),
    error: nullable(Type.String({ description: 'the error the thread died of' }))
  }
}

/** python/deadlock.py's answer: the Node fields, and its stuck threads, which no one can end. */
export const CpythonDeadlockSchema = Type.Object({
  ...sharedFields(
    Type.Null({ description: 'always null: CPython cannot kill a thread (see stuckThreads)' }),
    Type.Number({ description: 'start → every thread finished, or every thread left is stuck (the watchdog stops watching)' })
  ),
  stuckThreads: Type.Object({
    count: Type.Integer(),
    fate: Type.String({ description: 'what becomes of them: left running until the interpreter exits (daemon threads, os._exit(0) after the answer)' }),
    threads: Type.Array(Type.Object({
      worker: Type.Integer(),
      waitsFor: nullable(Type.Integer()),
      heldBy: nullable(Type.Integer({ description: 'who holds the lock it waits for (in abandoned: a thread that has ended)' })),
      where: nullable(Type.String({ description: 'the line it is blocked on, from sys._current_frames(), e.g. deadlock.py:199 in double_acquire: lock.acquire()' }))
    }))
  }, { description: 'the threads the watchdog found stuck: Python has no Thread.kill(), and acquire() cannot be interrupted from another thread' }),
  perWorker: Type.Array(Type.Object({
    ...workerFields(),
    terminated: Type.Boolean({ description: 'always false: no Python thread can be terminated' })
  }))
})
export type CpythonDeadlockReport = Static<typeof CpythonDeadlockSchema>

export const DeadlockReportSchema = Type.Object({
  ...sharedFields(nullable(Type.String()), Type.Number({ description: 'start → every thread finished or terminated' })),
  perWorker: Type.Array(Type.Object({ ...workerFields(), terminated: Type.Boolean() })),
  cpython: cpythonAnswerSchema(CpythonDeadlockSchema)
})
