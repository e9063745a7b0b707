import { setTimeout as sleep } from 'node:timers/promises'
import { Piscina } from 'piscina'
import type { FastifyBaseLogger } from 'fastify'
import type { Config } from '../config.js'
import type { PoolTask, TaskOutcome } from './messages.js'
import { workerFile } from '../threads/worker-files.js'

const WARM_TIMEOUT_MS = 30_000
/** Backoff of refills while new threads keep dying before they are ready: doubled each time, up to the maximum. */
const REFILL_FIRST_DELAY_MS = 50
const REFILL_MAX_DELAY_MS = 5_000
/** A task that runs nothing (pool-entry returns at once): what makes piscina start a thread it lacks. */
const NO_OP: PoolTask = { job: null, indices: [] }

/**
 * The service-wide warm pool: POOL_SIZE threads started once and kept (min = max, so piscina never reaps or grows
 * them mid-measurement). It knows which threads are ready: after a cancel or a crash piscina replaces a thread in
 * the background, and a job that started meanwhile would count that start-up as its own work.
 *
 * It also keeps the pool full. piscina (5.3) replaces a thread that dies, except one that dies before it is ready
 * (a replacement killed while it loads): it takes that for a worker file that cannot load and from then on replaces
 * no thread at all, so the pool would shrink for good with every later death. After each thread that leaves, the
 * pool checks its size once piscina has had its turn; if threads are missing it starts them the one way piscina
 * offers, a task that no ready thread can take (piscina then adds a thread, up to maxThreads): no-op tasks until
 * the pool is full. While new threads keep dying before they are ready, refills back off (50 ms … 5 s).
 */
export class WorkerPool {
  readonly piscina: Piscina<PoolTask, TaskOutcome[]>
  readonly size: number
  readonly tasksPerThread: number
  /** thread ids piscina reported ready ('workerCreate' comes once a thread has loaded the worker file) */
  readonly #readyIds = new Set<number>()
  #closing = false
  #refillTimer: NodeJS.Timeout | undefined
  #refillDelayMs = 0

  constructor (config: Config, log: FastifyBaseLogger) {
    this.size = config.POOL_SIZE
    this.tasksPerThread = config.POOL_TASKS_PER_THREAD
    this.piscina = new Piscina({
      filename: workerFile('pool-entry').href,
      minThreads: this.size,
      maxThreads: this.size,
      idleTimeout: 60_000,
      concurrentTasksPerWorker: this.tasksPerThread,
      // A pool thread whose heap passes it is replaced, not the service (WORKER_MAX_HEAP_MB).
      resourceLimits: { maxOldGenerationSizeMb: config.WORKER_MAX_HEAP_MB }
    })
    this.piscina.on('workerCreate', (worker: { id: number }) => {
      this.#readyIds.add(worker.id)
      this.#refillDelayMs = 0
    })
    this.piscina.on('workerDestroy', () => this.#scheduleRefill())
    // Without a listener a bad worker file would take the whole process down.
    this.piscina.on('error', (error) => log.error({ err: error }, 'worker pool error'))
  }

  /** Threads that are in the pool now and were reported ready (a terminated one leaves piscina's list at once). */
  get readyThreads (): number {
    const live = new Set(this.piscina.threads.map((thread) => thread.threadId))
    for (const id of this.#readyIds) if (!live.has(id)) this.#readyIds.delete(id)
    return this.#readyIds.size
  }

  /** Resolves once every thread is ready (or `signal` aborts), with how long that took (0 when the pool was warm). */
  async warm (signal?: AbortSignal): Promise<number> {
    if (this.readyThreads >= this.size) return 0
    const started = performance.now()
    while (this.readyThreads < this.size && !signal?.aborted) {
      if (performance.now() - started > WARM_TIMEOUT_MS) {
        throw new Error(`the pool has ${this.readyThreads} of ${this.size} threads ready after ${WARM_TIMEOUT_MS} ms`)
      }
      await sleep(2)
    }
    return performance.now() - started
  }

  run (task: PoolTask, signal?: AbortSignal): Promise<TaskOutcome[]> {
    return this.piscina.run(task, signal ? { signal } : {})
  }

  get queueSize (): number {
    return this.piscina.queueSize
  }

  destroy (): Promise<void> {
    this.#closing = true
    clearTimeout(this.#refillTimer)
    return this.piscina.destroy()
  }

  /** A thread has left the pool ('workerDestroy', before piscina replaces it, if it does): check the size afterwards. */
  #scheduleRefill (): void {
    if (this.#closing || this.#refillTimer) return
    this.#refillTimer = setTimeout(() => {
      this.#refillTimer = undefined
      this.#refill()
    }, this.#refillDelayMs).unref()
  }

  #refill (): void {
    if (this.#closing || this.piscina.threads.length >= this.size) return
    // The next refill, if these threads die before they are ready too, waits longer ('workerCreate' resets it).
    this.#refillDelayMs = Math.min(Math.max(this.#refillDelayMs * 2, REFILL_FIRST_DELAY_MS), REFILL_MAX_DELAY_MS)
    // The first no-ops may go to idle ready threads; once one has to queue, each further one adds a thread.
    const most = this.piscina.threads.length * this.tasksPerThread + this.size
    for (let sent = 0; sent < most && this.piscina.threads.length < this.size; sent++) {
      this.piscina.run(NO_OP).catch(() => {}) // fails only if its thread dies: that death schedules the next refill
    }
  }
}

export async function startWorkerPool (config: Config, log: FastifyBaseLogger): Promise<WorkerPool> {
  const pool = new WorkerPool(config, log)
  await pool.warm()
  return pool
}
