import type { Config } from '../config.js'
import { JobAlreadyFinished, JobErrors, JobNotFound, JobQueueFull, ShuttingDown, withRetryAfter } from '../errors.js'
import { Job, type JobStatus } from './job.js'
import { runJob } from './run-job.js'
import type { RunnerDeps } from './runner-deps.js'
import type { JobSpec } from './spec-service.js'

const RECENT_DURATIONS = 10

/**
 * Runs jobs in FIFO order, each once it holds one of the run slots (MAX_RUNNING_JOBS, 1 by default, shared with lab
 * runs, so measurements do not disturb each other), with a bounded queue; keeps every live job and the last
 * MAX_STORED_JOBS finished ones.
 */
export class JobScheduler {
  readonly #config: Config
  readonly #deps: RunnerDeps
  readonly #jobs = new Map<string, Job>()
  readonly #queue: Job[] = []
  readonly #running = new Set<Job>()
  readonly #finished: string[] = []
  readonly #recentDurationsMs: number[] = []
  #accepting = true

  readonly #onJobEnd: ((job: Job) => void) | undefined

  constructor (deps: RunnerDeps & { onJobEnd?: (job: Job) => void }) {
    this.#config = deps.config
    this.#deps = deps
    this.#onJobEnd = deps.onJobEnd
    deps.admission.runs.onFree(() => this.#pump())
  }

  get runningCount (): number {
    return this.#running.size
  }

  get queuedCount (): number {
    return this.#queue.length
  }

  get accepting (): boolean {
    return this.#accepting
  }

  submit (spec: JobSpec): Job {
    if (!this.#accepting) throw new ShuttingDown()
    if (this.#deps.admission.runs.free <= 0 && this.#queue.length >= this.#config.MAX_QUEUED_JOBS) {
      throw withRetryAfter(new JobQueueFull(this.#queue.length), this.retryAfterSeconds())
    }
    const job = new Job(spec)
    this.#jobs.set(job.id, job)
    this.#queue.push(job)
    this.#pump()
    return job
  }

  get (id: string): Job {
    const job = this.#jobs.get(id)
    if (!job) throw new JobNotFound(id)
    return job
  }

  /** Newest first. */
  list (status: JobStatus | undefined, limit: number): Job[] {
    const jobs = [...this.#jobs.values()].reverse()
    return (status ? jobs.filter((job) => job.status === status) : jobs).slice(0, limit)
  }

  /** Cancels a queued or running job and resolves once it has ended (with its partial report). */
  async cancel (id: string): Promise<Job> {
    const job = this.get(id)
    if (job.isFinished) throw new JobAlreadyFinished(id, job.status)
    this.#stop(job, 'cancelled')
    await job.ended()
    return job
  }

  /** Seconds a client should wait before retrying a rejected job: the recent mean job time per queued job. */
  retryAfterSeconds (): number {
    const durations = this.#recentDurationsMs
    const meanMs = durations.length > 0 ? durations.reduce((a, b) => a + b, 0) / durations.length : 1000
    return Math.max(1, Math.ceil(meanMs * (this.#queue.length + 1) / this.#config.MAX_RUNNING_JOBS / 1000))
  }

  /**
   * Stops accepting and ends every job, with Python's daemon-thread semantics: queued jobs and running daemon jobs
   * are cancelled at once (abandoned); running non-daemon jobs may finish for up to DAEMON_SHUTDOWN_WAIT_MS, then
   * are cancelled too. Resolves when all have ended.
   */
  async shutdown (): Promise<void> {
    this.#accepting = false
    const running = [...this.#running]
    for (const job of [...this.#queue]) this.#stop(job, 'shutdown')
    for (const job of running) if (job.spec.daemon) this.#stop(job, 'shutdown')
    const nonDaemon = running.filter((job) => !job.spec.daemon)
    if (nonDaemon.length > 0) {
      let timer: NodeJS.Timeout | undefined
      const patience = new Promise<void>((resolve) => { timer = setTimeout(resolve, this.#config.DAEMON_SHUTDOWN_WAIT_MS) })
      await Promise.race([Promise.all(nonDaemon.map((job) => job.ended())), patience])
      clearTimeout(timer)
      for (const job of nonDaemon) if (!job.isFinished) this.#stop(job, 'shutdown')
    }
    await Promise.all(running.map((job) => job.ended()))
  }

  #stop (job: Job, reason: 'cancelled' | 'shutdown'): void {
    job.stop(reason)
    const queued = this.#queue.indexOf(job)
    if (queued >= 0) {
      this.#queue.splice(queued, 1)
      job.finish('cancelled', null, JobErrors.cancelled(`cancelled before it started (${reason})`))
      this.#remember(job)
    }
  }

  #pump (): void {
    while (this.#queue.length > 0) {
      const release = this.#deps.admission.runs.tryClaim(`job ${this.#queue[0]!.id}`)
      if (!release) return
      const job = this.#queue.shift()!
      this.#running.add(job)
      // runJob never throws; should it ever, the job fails and the queue goes on rather than the process ending.
      runJob(job, this.#deps).catch((error: unknown) => {
        if (!job.isFinished) job.finish('failed', null, JobErrors.internal(error instanceof Error ? error.message : String(error)))
      }).then(() => {
        this.#running.delete(job)
        if (job.report) this.#recentDurationsMs.push(job.report.totalMs)
        if (this.#recentDurationsMs.length > RECENT_DURATIONS) this.#recentDurationsMs.shift()
        this.#remember(job)
        // Bookkeeping first, then the slot: freeing it starts the next job (or lets a lab run) at once.
        release()
      })
    }
  }

  #remember (job: Job): void {
    this.#onJobEnd?.(job)
    this.#finished.push(job.id)
    while (this.#finished.length > this.#config.MAX_STORED_JOBS) this.#jobs.delete(this.#finished.shift()!)
  }
}
