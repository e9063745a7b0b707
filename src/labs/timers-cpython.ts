/**
 * The timers lab's CPython original (python/timers.py, mode "run"): the same timer on threading.Timer, re-armed in
 * its callback as the seed did, with the Node timer's delayMs, intervalMs and count; its figures in the Node view's
 * names (fires, maxLateMs) so the two compare. As a lab runs its original after its Node run, the Python timer
 * starts once the Node timer has made its last fire (starting a python process at the same time would delay the Node
 * timer's fires: measured, its first fire came up to 189 ms late); its answer is kept on the timer (GET /timers/:id).
 *
 * The Python timers run one at a time, first come first served (CpythonLane): a timer answers at once, so nothing
 * else would stop a hundred timers from starting a hundred python processes beside each other and beside the Node
 * timers being measured. A timer waiting in that line, or running there, still counts against MAX_TIMERS, which so
 * bounds the line too.
 *
 *   POST (cpython: true) ──▶ waiting ──Node timer done──▶ queued ──its turn──▶ running ──▶ done (the answer)
 *        cancelled before its last fire, or shutdown ──▶ not run        shutdown: queued ──▶ not run, running ──▶ stopped
 */
import { Type, type Static } from 'typebox'
import { runOriginal } from '../cpython/run-original.js'
import type { CpythonAnswer } from '../cpython/cpython-schema.js'
import { StringEnum } from '../schema-helpers.js'

export const CpythonTimerResultSchema = Type.Object({
  fires: Type.Integer(),
  count: Type.Integer(),
  delayMs: Type.Integer(),
  intervalMs: Type.Union([Type.Integer(), Type.Null()]),
  maxLateMs: Type.Number({ description: 'largest delay of a fire past its due time (the Timer thread\'s wake-up and the GIL)' }),
  firedAtMs: Type.Array(Type.Number(), { description: 'each fire, in ms from the timer\'s creation' }),
  gapsMs: Type.Array(Type.Number(), { description: 'ms between consecutive fires' }),
  createdToLastFireMs: Type.Union([Type.Number(), Type.Null()])
})
export type CpythonTimerResult = Static<typeof CpythonTimerResultSchema>
export type TimerCpythonAnswer = CpythonAnswer<CpythonTimerResult>

export const CPYTHON_RUN_STATES = ['waiting', 'queued', 'running', 'done', 'stopped', 'not run'] as const
export type CpythonRunState = typeof CPYTHON_RUN_STATES[number]

const isoDate = Type.String({ format: 'date-time' })
const nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()])

export const CpythonRunSchema = Type.Object({
  state: StringEnum(CPYTHON_RUN_STATES, {
    description: 'waiting: for the Node timer\'s last fire; queued: for its turn (one Python timer at a time); running; done: the answer is in cpython; stopped: killed by the service\'s shutdown; not run: cancelled before its last fire, or the service shut down first (cpython.reason says which)'
  }),
  ahead: nullable(Type.Integer({ description: 'while queued: Python timers before it in the line, the running one included' })),
  queuedAt: nullable(isoDate),
  startedAt: nullable(isoDate),
  endedAt: nullable(isoDate)
}, { description: 'where the timer\'s CPython run is (null without cpython: true); the timer counts against MAX_TIMERS until it has ended' })
export type CpythonRunView = Static<typeof CpythonRunSchema>

/** Until the original has answered, the timer's `cpython` field says why there is no answer yet. */
export const CPYTHON_WAITING: TimerCpythonAnswer = { ran: false, reason: 'waiting: the Python timer runs once the Node timer has made its last fire' }
/** "waiting:" too (a client polls while the reason starts with waiting: or running:). */
export const cpythonQueued = (ahead: number): TimerCpythonAnswer => ({
  ran: false,
  reason: `waiting: queued behind ${ahead} other Python timer${ahead === 1 ? '' : 's'} (they run one at a time)`
})
export const CPYTHON_RUNNING: TimerCpythonAnswer = { ran: false, reason: 'running: the Python timer has not made all its fires yet' }
export const CPYTHON_CANCELLED: TimerCpythonAnswer = { ran: false, reason: 'not run: the timer was cancelled before its last fire' }
export const CPYTHON_SHUT_DOWN: TimerCpythonAnswer = { ran: false, reason: 'not run: the service was shutting down' }
export const CPYTHON_SHUT_DOWN_QUEUED: TimerCpythonAnswer = { ran: false, reason: 'not run: the service shut down while it was queued for its turn' }
export const CPYTHON_STOPPED: TimerCpythonAnswer = { ran: false, reason: 'stopped: the service shut down while the Python timer ran; its python process was killed' }

/**
 * One item at a time, first in first out: `run` starts the next item once the previous one's promise has settled.
 * The line's length is bounded by whoever pushes (the registry: MAX_TIMERS).
 */
export class CpythonLane<T> {
  readonly #line: T[] = []
  #running: { item: T, ended: Promise<void> } | undefined

  constructor (private readonly run: (item: T) => Promise<void>) {}

  push (item: T): void {
    this.#line.push(item)
    this.#next()
  }

  /** Items before `item`: the running one and those queued ahead of it (-1 when it is not queued). */
  ahead (item: T): number {
    const index = this.#line.indexOf(item)
    return index < 0 ? -1 : index + (this.#running ? 1 : 0)
  }

  /** Takes every queued item out of the line (shutdown); the running one runs on until its promise settles. */
  drain (): T[] {
    return this.#line.splice(0)
  }

  /** Settles when the running item (if any) has ended. */
  idle (): Promise<void> {
    return this.#running?.ended ?? Promise.resolve()
  }

  #next (): void {
    if (this.#running) return
    const item = this.#line.shift()
    if (item === undefined) return
    const ended = this.run(item).catch(() => {}).finally(() => {
      this.#running = undefined
      this.#next()
    })
    this.#running = { item, ended }
  }
}

export interface TimerOriginalRun {
  requested: boolean
  delayMs: number
  intervalMs: number | undefined
  count: number
  executable: string
  /** LAB_MAX_MS, plus the interpreter's start-up: the timer's fires all come within LAB_MAX_MS (the route checks) */
  timeoutMs: number
  signal: AbortSignal
}

export function runTimerOriginal (run: TimerOriginalRun): Promise<TimerCpythonAnswer> {
  return runOriginal<CpythonTimerResult>({
    requested: run.requested,
    script: 'timers.py',
    resultSchema: CpythonTimerResultSchema,
    params: { mode: 'run', delayMs: run.delayMs, intervalMs: run.intervalMs ?? null, count: run.count },
    executable: run.executable,
    timeoutMs: run.timeoutMs,
    signal: run.signal,
    what: 'the timer'
  })
}
