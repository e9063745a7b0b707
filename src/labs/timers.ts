/**
 * The timers lab: the seed's `threading.Timer`, re-armed for repeats, on the event loop. A timer fires after
 * `delayMs`, then (with `intervalMs`) again `intervalMs` after each fire's task has ended, until it has fired
 * `count` times — re-arming in the callback, as the seed did, so fires never overlap. It can be cancelled before
 * its first fire or between fires; `firedBeforeCancel` answers the seed's "was it cancelled before it ran?".
 *
 *   create ──▶ scheduled ──fire──▶ fired ──(interval)──▶ fire … ──last fire's task ended──▶ done
 *                  └────────────────┴──cancel──▶ cancelled (a task already running finishes; nothing fires again)
 *
 * At most `maxTimers` are live at once: scheduled or fired, or done with their CPython run (cpython: true) still
 * queued or running — the Python timers run one at a time, after the Node timer (timers-cpython.ts), and until that
 * run has ended a timer keeps its slot, so the line of python processes is bounded too. Finished ones are kept for
 * reading up to the same number. close() cancels every live timer and kills a running Python timer (the app's onClose).
 *
 * At shutdown (`shutdown(waitMs)`), Python's rule for the Timer's thread: a daemon timer is dropped at once (a daemon
 * Timer never fires at exit); a non-daemon one (the default, as threading.Timer's) is waited for — it fires, and
 * re-arms, while its fires are due within waitMs (DAEMON_SHUTDOWN_WAIT_MS, the bound CPython's join does not have),
 * and is cancelled when its next fire is not. A timer never keeps an idle service alive (its handle is unref()ed):
 * a service lives until its SIGTERM, and what Python's join means for it is this wait. Shutdown kills a running
 * Python timer at once (a measurement, not a timer of the user's) and marks the queued ones as not run.
 */
import { randomUUID } from 'node:crypto'
import { channel } from 'node:diagnostics_channel'
import { Type, type Static } from 'typebox'
import { cpythonAnswerSchema } from '../cpython/cpython-schema.js'
import { ShuttingDown } from '../errors.js'
import type { TaskOutcome } from '../executors/messages.js'
import type { JobSpec } from '../jobs/spec-service.js'
import { StringEnum } from '../schema-helpers.js'
import type { WorkloadName } from '../workloads/tasks.js'
import { TimerAlreadyFinished, TimerLimit, TimerNotFound } from '../errors.js'
import {
  CPYTHON_CANCELLED, CPYTHON_RUNNING, CPYTHON_SHUT_DOWN, CPYTHON_SHUT_DOWN_QUEUED, CPYTHON_STOPPED, CPYTHON_WAITING, CpythonLane, CpythonRunSchema,
  CpythonTimerResultSchema, cpythonQueued, type CpythonRunState, type TimerCpythonAnswer
} from './timers-cpython.js'

export const TIMER_STATES = ['scheduled', 'fired', 'done', 'cancelled'] as const
export type TimerState = typeof TIMER_STATES[number]
const LIVE: ReadonlySet<TimerState> = new Set(['scheduled', 'fired'])

/** Fire times kept per timer (the latest ones; `fires` is always the exact count). */
export const FIRED_AT_KEPT = 20

/** Every fire is published here as `{ id, fire, at }` (diagnostics_channel: free when nobody listens). */
export const timerFireChannel = channel('concurrency-lab:timer:fire')

export interface TimerTask {
  workload: WorkloadName
  params: Record<string, unknown>
  /** what a fire runs: the task as a one-task spec, made by the spec service when the timer was created */
  spec: JobSpec
}

export interface TimerSpec {
  delayMs: number
  intervalMs?: number
  count: number
  /** dropped at once at shutdown (a daemon Timer thread); false: waited for within DAEMON_SHUTDOWN_WAIT_MS */
  daemon: boolean
  task?: TimerTask
  /** also run the timer on CPython (python/timers.py), its answer kept on the timer */
  cpython?: boolean
}

/** What shutdown did with the live timers (the shutdown log's line). */
export interface TimerShutdown {
  /** daemon timers, cancelled at once */
  daemonCancelled: number
  /** fires during the wait (non-daemon timers) */
  firedDuringWait: number
  /** non-daemon timers that made their last fire during the wait */
  doneDuringWait: number
  /** non-daemon timers with a fire due after the wait: cancelled then (CPython would have waited for them) */
  cancelledPastWait: number
}

/** Runs a timer's task once (the route runs it on the warm pool, off the event loop). `fire` counts from 1. */
export type RunTimerTask = (task: TimerTask, fire: number, timerId: string) => Promise<TaskOutcome>

export type { TimerCpythonAnswer }

/** The same timer on CPython: the route runs python/timers.py, one at a time; `signal` is aborted at shutdown. */
export interface TimerCpython {
  run: (spec: TimerSpec, signal: AbortSignal) => Promise<TimerCpythonAnswer>
  /** the answer of a timer that did not ask (cpython: false) */
  notRequested: TimerCpythonAnswer
}

const isoDate = Type.String({ format: 'date-time' })
const nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()])

export const TimerViewSchema = Type.Object({
  id: Type.String(),
  state: StringEnum(TIMER_STATES, { description: 'scheduled: not fired yet; fired: fired, more fires due; done: fired count times; cancelled' }),
  fires: Type.Integer({ description: 'times it has fired' }),
  count: Type.Integer({ description: 'fires in total' }),
  delayMs: Type.Integer(),
  intervalMs: nullable(Type.Integer()),
  daemon: Type.Boolean({ description: 'at shutdown: true, cancelled at once; false, its fires due within DAEMON_SHUTDOWN_WAIT_MS still come' }),
  nextFireAt: nullable(isoDate),
  running: Type.Boolean({ description: 'a fire\'s task is running now' }),
  createdAt: isoDate,
  finishedAt: nullable(isoDate),
  firedAt: Type.Array(isoDate, { description: `when it fired (the latest ${FIRED_AT_KEPT})` }),
  maxLateMs: Type.Number({ description: 'largest delay of a fire past its due time (event-loop lateness)' }),
  task: nullable(Type.Object({ workload: Type.String(), params: Type.Record(Type.String(), Type.Unknown()) })),
  lastResult: nullable(Type.Object({
    fire: Type.Integer(),
    ok: Type.Boolean(),
    value: Type.Optional(Type.Union([Type.String(), Type.Number()])),
    error: Type.Optional(Type.String()),
    runMs: Type.Number(),
    worker: Type.String()
  }, { description: 'the last finished task (null without a task)' })),
  cpython: cpythonAnswerSchema(CpythonTimerResultSchema),
  cpythonRun: nullable(CpythonRunSchema)
})
export type TimerView = Static<typeof TimerViewSchema>
type FireResult = NonNullable<TimerView['lastResult']>

const NO_CPYTHON: TimerCpythonAnswer = { ran: false, reason: 'this registry runs no CPython original' }

const epochNow = () => performance.timeOrigin + performance.now()
const iso = (epochMs: number) => new Date(epochMs).toISOString()
const isoOrNull = (epochMs: number | null) => epochMs === null ? null : iso(epochMs)

class LabTimer {
  readonly id = randomUUID()
  readonly createdAt = epochNow()
  state: TimerState = 'scheduled'
  fires = 0
  running = false
  /** epoch ms of the next fire, null when none is armed */
  dueAt: number | null = null
  finishedAt: number | null = null
  readonly firedAt: number[] = []
  maxLateMs = 0
  lastResult: FireResult | null = null
  handle: NodeJS.Timeout | undefined
  /** where its CPython run is; null when it asked for none */
  cpythonRun: { state: CpythonRunState, queuedAt: number | null, startedAt: number | null, endedAt: number | null } | null = null

  constructor (readonly spec: TimerSpec, public cpython: TimerCpythonAnswer) {}

  /** `ahead`: while its CPython run is queued, how many Python timers come before it. */
  view (ahead: number): TimerView {
    const { spec } = this
    return {
      id: this.id,
      state: this.state,
      fires: this.fires,
      count: spec.count,
      delayMs: spec.delayMs,
      intervalMs: spec.intervalMs ?? null,
      daemon: spec.daemon,
      nextFireAt: this.dueAt === null ? null : iso(this.dueAt),
      running: this.running,
      createdAt: iso(this.createdAt),
      finishedAt: this.finishedAt === null ? null : iso(this.finishedAt),
      firedAt: this.firedAt.map(iso),
      maxLateMs: this.maxLateMs,
      task: spec.task ? { workload: spec.task.workload, params: spec.task.params } : null,
      lastResult: this.lastResult,
      cpython: this.cpythonRun?.state === 'queued' ? cpythonQueued(ahead) : this.cpython,
      cpythonRun: this.cpythonRun && {
        state: this.cpythonRun.state,
        ahead: this.cpythonRun.state === 'queued' ? ahead : null,
        queuedAt: isoOrNull(this.cpythonRun.queuedAt),
        startedAt: isoOrNull(this.cpythonRun.startedAt),
        endedAt: isoOrNull(this.cpythonRun.endedAt)
      }
    }
  }
}

export class TimerRegistry {
  readonly #timers = new Map<string, LabTimer>()
  /** ids of finished timers, oldest first: beyond `maxTimers` the oldest is forgotten */
  readonly #finished: string[] = []
  readonly #maxTimers: number
  readonly #runTask: RunTimerTask
  readonly #cpython: TimerCpython | undefined
  /** aborted at shutdown: CPython runs of timers are killed (a measurement, not a timer of the user's) */
  readonly #stopping = new AbortController()
  /** the Python timers, one at a time */
  readonly #lane = new CpythonLane<LabTimer>((timer) => this.#runCpython(timer))
  /** scheduled or fired timers */
  #live = 0
  /** done timers whose CPython run is queued or running: they keep their MAX_TIMERS slot until it has ended */
  #held = 0
  #closed = false
  /** while shutting down: the end of the wait (epoch ms), what it did, and how to end it */
  #shutdown: { deadline: number, summary: TimerShutdown, done: Promise<TimerShutdown>, end: () => void } | undefined

  constructor (options: { maxTimers: number, runTask: RunTimerTask, cpython?: TimerCpython }) {
    this.#maxTimers = options.maxTimers
    this.#runTask = options.runTask
    this.#cpython = options.cpython
  }

  /** Timers counted against MAX_TIMERS now: scheduled or fired, or done with their CPython run not ended yet. */
  get live (): number {
    return this.#live + this.#held
  }

  create (spec: TimerSpec): TimerView {
    if (this.#closed) throw new ShuttingDown()
    if (this.live >= this.#maxTimers) throw new TimerLimit(this.#maxTimers)
    const requested = spec.cpython === true && this.#cpython !== undefined
    const timer = new LabTimer(spec, requested ? CPYTHON_WAITING : (this.#cpython?.notRequested ?? NO_CPYTHON))
    if (requested) timer.cpythonRun = { state: 'waiting', queuedAt: null, startedAt: null, endedAt: null }
    this.#timers.set(timer.id, timer)
    this.#live++
    this.#arm(timer, spec.delayMs)
    return this.#view(timer)
  }

  #view (timer: LabTimer): TimerView {
    return timer.view(this.#lane.ahead(timer))
  }

  /** Its turn in the lane, after the Node timer's last fire (timers-cpython.ts says why not beside it). */
  async #runCpython (timer: LabTimer): Promise<void> {
    const run = timer.cpythonRun!
    run.state = 'running'
    run.startedAt = epochNow()
    timer.cpython = CPYTHON_RUNNING
    try {
      timer.cpython = await this.#cpython!.run(timer.spec, this.#stopping.signal)
      run.state = 'done'
    } catch (error) {
      // runOriginal throws only LAB_STOPPED, when shutdown aborted the signal
      run.state = this.#stopping.signal.aborted ? 'stopped' : 'done'
      timer.cpython = this.#stopping.signal.aborted
        ? CPYTHON_STOPPED
        : { ran: false, reason: `failed: ${error instanceof Error ? error.message : String(error)}` }
    } finally {
      run.endedAt = epochNow()
      this.#release(timer)
    }
  }

  /** A done timer's CPython run has ended (or will not come): its MAX_TIMERS slot is free. */
  #release (timer: LabTimer): void {
    this.#held--
    this.#keepFinished(timer)
  }

  /** Shutdown: the queued Python timers will not run (the running one is killed through #stopping). */
  #dropQueued (): void {
    for (const timer of this.#lane.drain()) {
      timer.cpythonRun!.state = 'not run'
      timer.cpythonRun!.endedAt = epochNow()
      timer.cpython = CPYTHON_SHUT_DOWN_QUEUED
      this.#release(timer)
    }
  }

  /** Newest first. */
  list (state?: TimerState): TimerView[] {
    const timers = [...this.#timers.values()].reverse()
    return (state ? timers.filter((timer) => timer.state === state) : timers).map((timer) => this.#view(timer))
  }

  get (id: string): TimerView {
    return this.#view(this.#find(id))
  }

  /** Cancels a live timer; a task already running finishes (its result is kept) but nothing fires again. */
  cancel (id: string): TimerView & { firedBeforeCancel: boolean } {
    const timer = this.#find(id)
    if (!LIVE.has(timer.state)) throw new TimerAlreadyFinished(id, timer.state)
    this.#finish(timer, 'cancelled')
    return { ...this.#view(timer), firedBeforeCancel: timer.fires > 0 }
  }

  /** Cancels every live timer and refuses new ones (app shutdown). Answers how many were cancelled. */
  close (): number {
    this.#closed = true
    this.#stopping.abort()
    this.#dropQueued()
    let cancelled = 0
    for (const timer of this.#timers.values()) {
      if (!LIVE.has(timer.state)) continue
      this.#finish(timer, 'cancelled')
      cancelled++
    }
    this.#shutdown?.end()
    return cancelled
  }

  /**
   * Refuses new timers, cancels the daemon ones at once and lets the non-daemon ones fire for up to `waitMs`
   * (see the top of this file); kills the running Python timer and drops the queued ones. Resolves when no
   * non-daemon timer is left, at the latest after `waitMs`, and the killed python process has exited; a second
   * call answers the first one's promise.
   */
  shutdown (waitMs: number): Promise<TimerShutdown> {
    if (this.#shutdown) return this.#shutdown.done
    this.#closed = true
    this.#stopping.abort()
    this.#dropQueued()
    const summary: TimerShutdown = { daemonCancelled: 0, firedDuringWait: 0, doneDuringWait: 0, cancelledPastWait: 0 }
    const deadline = epochNow() + waitMs
    let end!: () => void
    const done = new Promise<TimerShutdown>((resolve) => {
      // Not unref()ed: the wait is what shutdown is doing.
      const patience = setTimeout(() => end(), waitMs)
      let ended = false
      end = () => {
        if (ended) return
        ended = true
        clearTimeout(patience)
        // The end of the wait: what is still live (a fire due later, a task still running) is cancelled.
        for (const timer of this.#timers.values()) {
          if (!LIVE.has(timer.state)) continue
          this.#finish(timer, 'cancelled')
          summary.cancelledPastWait++
        }
        // The python process was killed when the wait began; its exit is quick, and nothing of a timer outlives this.
        this.#lane.idle().then(() => resolve(summary), () => resolve(summary))
      }
    })
    this.#shutdown = { deadline, summary, done, end }
    for (const timer of this.#timers.values()) {
      if (!LIVE.has(timer.state)) continue
      if (timer.spec.daemon) {
        this.#finish(timer, 'cancelled')
        summary.daemonCancelled++
      } else if (!timer.running && (timer.dueAt ?? Infinity) > deadline) {
        this.#finish(timer, 'cancelled')
        summary.cancelledPastWait++
      }
    }
    this.#endIfIdle()
    return done
  }

  /** While shutting down: once no live timer is left, the wait is over. */
  #endIfIdle (): void {
    if (this.#shutdown && this.#live === 0) this.#shutdown.end()
  }

  #find (id: string): LabTimer {
    const timer = this.#timers.get(id)
    if (!timer) throw new TimerNotFound(id, this.#maxTimers)
    return timer
  }

  #arm (timer: LabTimer, delayMs: number): void {
    if (this.#shutdown && epochNow() + delayMs > this.#shutdown.deadline) {
      // Its next fire would come after the shutdown wait: CPython would wait for it; the service cannot.
      this.#shutdown.summary.cancelledPastWait++
      return this.#finish(timer, 'cancelled')
    }
    timer.dueAt = epochNow() + delayMs
    // unref: a timer alone never keeps the process alive (close() cancels them anyway).
    timer.handle = setTimeout(() => this.#fire(timer), delayMs).unref()
  }

  #fire (timer: LabTimer): void {
    timer.handle = undefined
    if (!LIVE.has(timer.state)) return
    const now = epochNow()
    timer.maxLateMs = Math.max(timer.maxLateMs, now - (timer.dueAt ?? now))
    timer.dueAt = null
    timer.fires++
    timer.state = 'fired'
    timer.firedAt.push(now)
    if (this.#shutdown) this.#shutdown.summary.firedDuringWait++
    if (timer.firedAt.length > FIRED_AT_KEPT) timer.firedAt.shift()
    if (timerFireChannel.hasSubscribers) timerFireChannel.publish({ id: timer.id, fire: timer.fires, at: now })
    const task = timer.spec.task
    if (!task) return this.#afterFire(timer)
    const fire = timer.fires
    timer.running = true
    this.#runTask(task, fire, timer.id)
      .then((outcome) => {
        timer.lastResult = { fire, ok: outcome.ok, value: outcome.value, error: outcome.error, runMs: outcome.runMs, worker: outcome.worker }
      }, (error: unknown) => {
        timer.lastResult = { fire, ok: false, error: error instanceof Error ? error.message : String(error), runMs: 0, worker: 'none' }
      })
      .finally(() => {
        timer.running = false
        this.#afterFire(timer)
      })
  }

  /** After a fire (and its task): re-arm for the next one, or finish after the last. */
  #afterFire (timer: LabTimer): void {
    if (timer.state !== 'fired') return // cancelled meanwhile
    if (timer.fires < timer.spec.count) return this.#arm(timer, timer.spec.intervalMs ?? 0)
    if (this.#shutdown) this.#shutdown.summary.doneDuringWait++
    this.#finish(timer, 'done')
  }

  #finish (timer: LabTimer, state: 'done' | 'cancelled'): void {
    clearTimeout(timer.handle)
    timer.handle = undefined
    timer.state = state
    timer.dueAt = null
    timer.finishedAt = epochNow()
    this.#live--
    const run = timer.cpythonRun
    if (run?.state === 'waiting' && state === 'done' && !this.#closed) {
      // Its slot moves from the Node timer to its CPython run; it is forgotten only once that has ended.
      this.#held++
      run.state = 'queued'
      run.queuedAt = timer.finishedAt
      this.#lane.push(timer)
    } else {
      if (run?.state === 'waiting') {
        run.state = 'not run'
        timer.cpython = this.#closed ? CPYTHON_SHUT_DOWN : CPYTHON_CANCELLED
      }
      this.#keepFinished(timer)
    }
    this.#endIfIdle()
  }

  /** Kept for reading among the latest `maxTimers` finished ones. */
  #keepFinished (timer: LabTimer): void {
    this.#finished.push(timer.id)
    while (this.#finished.length > this.#maxTimers) this.#timers.delete(this.#finished.shift()!)
  }
}
