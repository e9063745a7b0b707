import { hostname } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import { Queue, QueueEvents, UnrecoverableError, Worker, type Job as BullJob } from 'bullmq'
import type { Redis } from 'ioredis'
import type { Config } from '../config.js'
import type { EngineDeps, ModeEngine } from '../executors/mode-definition.js'
import { createAjv } from '../plugins/schema-validators.js'
import { PreparedJobs } from './prepared-jobs.js'
import { blockingConnection, failFastConnection, redactedUrl } from './redis-connection.js'
import { SliceDataSchema, SliceResultSchema, type SliceData, type SliceResult } from './slice-schema.js'
import { runSlice, SliceCancelled } from './slice-runner.js'

/** How a slice ended, as its coordinator sees it. */
export type SliceEnd = { ok: true, result: SliceResult } | { ok: false, reason: string }

/** What a replica hears from coordinators on the control channel. */
interface ControlMessage { type: 'cancel' | 'end', jobId: string }

/** Completed and failed slices stay in Redis this long (s): enough for a coordinator that missed the event to read them. */
const KEEP_FINISHED_S = 300
/** A cancelled job's late slices are refused this long after the cancel. */
const CANCELLED_KEPT_MS = 60_000
/** Closing waits this long for running slices to finish before it leaves them to another replica. */
const CLOSE_WAIT_MS = 3_000

const ajv = createAjv(false)
const isSliceData = ajv.compile<SliceData>(SliceDataSchema)
const isSliceResult = ajv.compile<SliceResult>(SliceResultSchema)

export const replicaIdOf = (config: Config): string => config.REPLICA_ID ?? `${hostname()}-${process.pid}`

/**
 * The cluster mode's engine, one per replica with REDIS_URL: a BullMQ worker that runs any replica's slices in
 * this replica's pool, and what a coordinator needs to hand slices out and hear how they ended (a queue to add
 * them, queue events, a pub/sub channel for cancel and end). Redis may go away and come back: every connection
 * reconnects and every error is logged, never thrown, so the replica stays up; a job coordinated meanwhile fails.
 */
export class ClusterEngine implements ModeEngine {
  readonly replica: string
  readonly config: Config
  readonly url: string
  readonly #deps: EngineDeps
  readonly #mode: string
  readonly #connections: Redis[] = []
  readonly #queue: Queue
  readonly #events: QueueEvents
  readonly #worker: Worker
  readonly #publisher: Redis
  readonly #subscriber: Redis
  readonly #prepared = new PreparedJobs()
  readonly #waiters = new Map<string, (end: SliceEnd) => void>()
  /** BullMQ ids of the slices running here, by job id (a cancel aborts them) */
  readonly #running = new Map<string, Set<string>>()
  readonly #cancelled = new Map<string, NodeJS.Timeout>()
  #downSince: number | undefined = performance.now()
  #lastError = 'not connected yet'
  #slicesRun = 0
  #closing = false

  private constructor (deps: EngineDeps, mode: string) {
    const { config } = deps
    this.#deps = deps
    this.#mode = mode
    this.config = config
    this.url = config.REDIS_URL!
    this.replica = replicaIdOf(config)
    const name = `conclab-${this.replica}`
    const connection = (make: typeof blockingConnection, role: string) => {
      const redis = make(this.url, `${name}-${role}`)
      redis.on('error', (error: Error) => this.#noteError(error))
      this.#connections.push(redis)
      return redis
    }
    const queueConnection = connection(failFastConnection, 'queue')
    // The coordinator's view of Redis: its connection's state decides when a job gives up (CLUSTER_REDIS_TIMEOUT_MS).
    queueConnection.on('ready', () => { this.#downSince = undefined })
    queueConnection.on('close', () => { this.#downSince ??= performance.now() })
    this.#queue = new Queue(config.CLUSTER_QUEUE, { connection: queueConnection })
    this.#events = new QueueEvents(config.CLUSTER_QUEUE, { connection: connection(blockingConnection, 'events') })
    this.#worker = new Worker(config.CLUSTER_QUEUE, async (job, _token, signal) => await this.#process(job, signal), {
      connection: connection(blockingConnection, 'worker'),
      concurrency: config.CLUSTER_WORKER_SLICES || config.POOL_SIZE * config.POOL_TASKS_PER_THREAD,
      lockDuration: config.CLUSTER_LOCK_MS,
      stalledInterval: Math.max(Math.floor(config.CLUSTER_LOCK_MS / 2), 250),
      // A slice may lose two replicas and still run; a third loss fails it (its tasks are reported failed).
      maxStalledCount: 2
    })
    this.#publisher = connection(failFastConnection, 'publish')
    this.#subscriber = connection(blockingConnection, 'subscribe')
    this.#queue.on('error', (error: Error) => this.#noteError(error))
    this.#events.on('error', (error: Error) => this.#noteError(error))
    this.#worker.on('error', (error: Error) => this.#noteError(error))
    this.#events.on('completed', ({ jobId, returnvalue }) => this.#settle(jobId, this.#resultOf(returnvalue)))
    this.#events.on('failed', ({ jobId, failedReason }) => this.#settle(jobId, { ok: false, reason: failedReason }))
    this.#subscriber.on('message', (_channel: string, message: string) => this.#heard(message))
    this.#subscriber.subscribe(this.#channel).catch((error: unknown) => this.#noteError(error as Error))
  }

  static async start (deps: EngineDeps, mode: string): Promise<ClusterEngine> {
    const engine = new ClusterEngine(deps, mode)
    // Not waiting for Redis: a replica whose Redis is down still serves every other mode (and /readyz says so).
    deps.log.info({ replica: engine.replica, redis: redactedUrl(engine.url), queue: deps.config.CLUSTER_QUEUE }, 'cluster mode: slice worker started')
    return engine
  }

  get #channel (): string {
    return `${this.config.CLUSTER_QUEUE}:control`
  }

  /** A trace-level log line (LOG_LEVEL=trace), with this replica's id. */
  trace (fields: Record<string, unknown>, message: string): void {
    this.#deps.log.trace({ replica: this.replica, ...fields }, message)
  }

  /** How long the coordinator's connection to Redis has been down (0 while up). */
  downForMs (): number {
    return this.#downSince === undefined ? 0 : performance.now() - this.#downSince
  }

  /** Why Redis is unreachable, for the job's error (the URL without its password). */
  downReason (): string {
    return `Redis at ${redactedUrl(this.url)} is unreachable (${this.#lastError})`
  }

  status (): Record<string, string | number | boolean> {
    return { redis: this.#downSince === undefined ? 'up' : 'down', replica: this.replica, slicesRunning: [...this.#running.values()].reduce((sum, ids) => sum + ids.size, 0), slicesRun: this.#slicesRun }
  }

  /** Resolves when the slice ends (its event, or a poll); call before add() so no event can be missed. */
  finished (id: string): Promise<SliceEnd> {
    return new Promise((resolve) => this.#waiters.set(id, resolve))
  }

  forget (id: string): void {
    this.#waiters.delete(id)
  }

  async add (id: string, data: SliceData): Promise<void> {
    await this.#queue.add('slice', data, { jobId: id, removeOnComplete: { age: KEEP_FINISHED_S }, removeOnFail: { age: KEEP_FINISHED_S } })
  }

  /** Reads the state of slices still waited for: one whose event was missed ends here. */
  async poll (ids: Iterable<string>): Promise<void> {
    for (const id of ids) {
      if (!this.#waiters.has(id)) continue
      const job = await this.#queue.getJob(id)
      if (!job) this.#settle(id, { ok: false, reason: 'the slice is no longer in Redis' })
      else if (job.finishedOn && job.failedReason) this.#settle(id, { ok: false, reason: job.failedReason })
      else if (job.finishedOn) this.#settle(id, this.#resultOf(job.returnvalue))
    }
  }

  /** Takes slices that no replica has started out of the queue (a cancelled or failed job's). */
  async withdraw (ids: Iterable<string>): Promise<void> {
    for (const id of ids) await this.#queue.remove(id).catch(() => 0)
  }

  /** Tells every replica (this one too) that a job was cancelled (its slices stop) or ended (its resources go). */
  async announce (type: ControlMessage['type'], jobId: string): Promise<void> {
    if (type === 'cancel') this.#cancel(jobId)
    await this.#publisher.publish(this.#channel, JSON.stringify({ type, jobId } satisfies ControlMessage))
  }

  async close (): Promise<void> {
    if (this.#closing) return
    this.#closing = true
    // Slices running here may finish; beyond CLOSE_WAIT_MS they are left to BullMQ's stalled recovery elsewhere.
    if (this.#running.size > 0) await Promise.race([this.#worker.close(), sleep(CLOSE_WAIT_MS, undefined, { ref: false })])
    await Promise.race([this.#worker.close(true), sleep(500, undefined, { ref: false })]).catch(() => {})
    // With Redis away these would wait for it: the connections are cut below either way.
    await Promise.race([Promise.allSettled([this.#events.close(), this.#queue.close()]), sleep(1000, undefined, { ref: false })])
    for (const timer of this.#cancelled.values()) clearTimeout(timer)
    for (const redis of this.#connections) redis.disconnect()
    await this.#prepared.closeAll()
  }

  async #process (job: BullJob, signal: AbortSignal | undefined): Promise<SliceResult> {
    if (!isSliceData(job.data)) throw new UnrecoverableError(`not a slice of this version: ${ajv.errorsText(isSliceData.errors)}`)
    const data = job.data
    if (this.#cancelled.has(data.jobId)) throw new UnrecoverableError('its job was cancelled')
    const id = job.id!
    const running = this.#running.get(data.jobId) ?? new Set()
    this.#running.set(data.jobId, running)
    running.add(id)
    try {
      const result = await runSlice(data, {
        mode: this.#mode,
        pool: this.#deps.pool,
        prepared: this.#prepared,
        replica: this.replica,
        upstreamUrl: this.#deps.upstreamUrl,
        maxErrors: this.config.MAX_JOB_ERRORS,
        observeTasks: this.#deps.observeTasks,
        // LOG_LEVEL=trace: every task of every slice, so anyone can recompute the merge from the logs
        ...(this.#deps.log.level === 'trace' ? { onOutcomes: (outcomes) => this.trace({ slice: id, job: data.jobId, tasks: outcomes.map((o) => [o.index, o.runMs, o.ok ? 1 : 0]) }, 'cluster slice ran') } : {})
      }, signal ?? new AbortController().signal, job.stalledCounter ?? 0)
      this.#slicesRun++
      return result
    } catch (error) {
      if (error instanceof SliceCancelled) throw new UnrecoverableError(`its job was cancelled: ${error.message}`)
      throw new UnrecoverableError(`slice failed on ${this.replica}: ${(error as Error).message}`)
    } finally {
      running.delete(id)
      if (running.size === 0) this.#running.delete(data.jobId)
    }
  }

  #resultOf (value: unknown): SliceEnd {
    const parsed = typeof value === 'string' ? safeParse(value) : value
    if (!isSliceResult(parsed)) return { ok: false, reason: `the slice's result is not one of this version (${ajv.errorsText(isSliceResult.errors)})` }
    return { ok: true, result: parsed }
  }

  #settle (id: string, end: SliceEnd): void {
    const resolve = this.#waiters.get(id)
    if (!resolve) return
    // Once: a slice's end counts the first time it is heard, whether from its event or from a poll.
    this.#waiters.delete(id)
    resolve(end)
  }

  #heard (message: string): void {
    const control = safeParse(message) as Partial<ControlMessage> | undefined
    if (typeof control?.jobId !== 'string') return
    if (control.type === 'cancel') this.#cancel(control.jobId)
    else if (control.type === 'end') this.#prepared.ended(control.jobId)
  }

  #cancel (jobId: string): void {
    if (!this.#cancelled.has(jobId)) {
      this.#cancelled.set(jobId, setTimeout(() => this.#cancelled.delete(jobId), CANCELLED_KEPT_MS).unref())
    }
    for (const id of this.#running.get(jobId) ?? []) this.#worker.cancelJob(id, 'its job was cancelled')
    this.#prepared.ended(jobId)
  }

  #noteError (error: Error): void {
    const message = error.message || String(error)
    if (message === this.#lastError) return
    this.#lastError = message
    if (!this.#closing) this.#deps.log.warn({ err: error, redis: redactedUrl(this.url) }, 'cluster mode: Redis error')
  }
}

function safeParse (text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
