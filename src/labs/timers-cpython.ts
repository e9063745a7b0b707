/**
 * The timers lab's CPython original (python/timers.py, mode "run"): the same timer on threading.Timer, re-armed in
 * its callback as the seed did, with the Node timer's delayMs, intervalMs and count; its figures in the Node view's
 * names (fires, maxLateMs) so the two compare. As a lab runs its original after its Node run, the Python timer
 * starts once the Node timer has made its last fire (starting a python process at the same time would delay the Node
 * timer's fires: measured, its first fire came up to 189 ms late); its answer is kept on the timer (GET /timers/:id).
 */
import { Type, type Static } from 'typebox'
import { runOriginal } from '../cpython/run-original.js'
import type { CpythonAnswer } from '../cpython/cpython-schema.js'

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

/** Until the original has answered, the timer's `cpython` field says why there is no answer yet. */
export const CPYTHON_WAITING: CpythonAnswer<CpythonTimerResult> = { ran: false, reason: 'waiting: the Python timer runs once the Node timer has made its last fire' }
export const CPYTHON_RUNNING: CpythonAnswer<CpythonTimerResult> = { ran: false, reason: 'running: the Python timer has not made all its fires yet' }
export const CPYTHON_CANCELLED: CpythonAnswer<CpythonTimerResult> = { ran: false, reason: 'not run: the timer was cancelled before its last fire' }
export const CPYTHON_SHUT_DOWN: CpythonAnswer<CpythonTimerResult> = { ran: false, reason: 'not run: the service was shutting down' }

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

export function runTimerOriginal (run: TimerOriginalRun): Promise<CpythonAnswer<CpythonTimerResult>> {
  return runOriginal<CpythonTimerResult>({
    requested: run.requested,
    script: 'timers.py',
    params: { mode: 'run', delayMs: run.delayMs, intervalMs: run.intervalMs ?? null, count: run.count },
    executable: run.executable,
    timeoutMs: run.timeoutMs,
    signal: run.signal,
    what: 'the timer'
  })
}
