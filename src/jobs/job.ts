import { randomUUID } from 'node:crypto'
import { EventEmitter, setMaxListeners } from 'node:events'
import { Type, type Static } from 'typebox'
import { StringEnum } from '../schema-helpers.js'
import type { JobError } from '../errors.js'
import type { JobSpec } from './spec-service.js'
import type { LeftBehind } from '../workloads/workload.js'
import { ReportSchema, SeriesRowSchema, type Report } from '../measure/report-schema.js'

export const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const
export type JobStatus = typeof JOB_STATUSES[number]
export const FINISHED: ReadonlySet<JobStatus> = new Set(['succeeded', 'failed', 'cancelled'])

export const ProgressSchema = Type.Object({
  done: Type.Integer({ description: 'tasks that succeeded' }),
  failed: Type.Integer(),
  total: Type.Integer(),
  latest: Type.Optional(Type.Union([SeriesRowSchema, Type.Null()], { description: 'progress events: the series row being filled (report.series has them all)' }))
})
export type Progress = Static<typeof ProgressSchema>

/** What the API shows of a job. `spec` is open here: its schema is the POST body's, built from the config. */
export const JobViewSchema = Type.Object({
  id: Type.String(),
  status: StringEnum(JOB_STATUSES),
  spec: Type.Record(Type.String(), Type.Unknown()),
  progress: ProgressSchema,
  createdAt: Type.String({ format: 'date-time' }),
  startedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  finishedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  error: Type.Union([Type.Object({ code: Type.String(), message: Type.String() }), Type.Null()]),
  report: Type.Union([ReportSchema, Type.Null()]),
  links: Type.Object({ self: Type.String(), events: Type.String() })
})
export type JobView = Static<typeof JobViewSchema>

export type StopReason = 'cancelled' | 'timeout' | 'shutdown'

/**
 * One job: its spec, state and progress. Emits 'progress' (Progress) while running and 'end' (JobView) once.
 * `stop()` aborts its signal; the runner turns the reason into the final status.
 */
export class Job extends EventEmitter<{ progress: [Progress], end: [JobView] }> {
  readonly id = randomUUID()
  readonly spec: JobSpec
  status: JobStatus = 'queued'
  readonly progress: Progress
  readonly createdAt = new Date()
  startedAt: Date | null = null
  finishedAt: Date | null = null
  error: JobError | null = null
  report: Report | null = null
  /** a daemon job abandoned at shutdown: what its cleanup, which did not run, would have removed (daemon-abandon.ts) */
  leftBehind: LeftBehind | null = null
  readonly #controller = new AbortController()
  #stopReason: StopReason | undefined
  readonly #ended: Promise<void>
  #markEnded!: () => void

  constructor (spec: JobSpec) {
    super()
    // One listener per in-flight task (pool dispatches, async I/O) and per SSE client: no fixed ceiling applies.
    this.setMaxListeners(0)
    setMaxListeners(0, this.#controller.signal)
    this.spec = spec
    this.progress = { done: 0, failed: 0, total: spec.tasks }
    this.#ended = new Promise((resolve) => { this.#markEnded = resolve })
  }

  get signal (): AbortSignal {
    return this.#controller.signal
  }

  get stopReason (): StopReason | undefined {
    return this.#stopReason
  }

  get isFinished (): boolean {
    return FINISHED.has(this.status)
  }

  /** Resolves once the job has finished, failed or been cancelled. */
  ended (): Promise<void> {
    return this.#ended
  }

  stop (reason: StopReason): void {
    if (this.#stopReason) return
    this.#stopReason = reason
    this.#controller.abort(new Error(reason))
  }

  finish (status: Extract<JobStatus, 'succeeded' | 'failed' | 'cancelled'>, report: Report | null, error: Job['error'] = null): void {
    this.status = status
    this.report = report
    this.error = error
    this.finishedAt = new Date()
    this.emit('end', this.view())
    this.#markEnded()
  }

  view (): JobView {
    return {
      id: this.id,
      status: this.status,
      spec: this.spec,
      progress: { ...this.progress },
      createdAt: this.createdAt.toISOString(),
      startedAt: this.startedAt?.toISOString() ?? null,
      finishedAt: this.finishedAt?.toISOString() ?? null,
      error: this.error,
      report: this.report,
      links: { self: `/jobs/${this.id}`, events: `/jobs/${this.id}/events` }
    }
  }
}
