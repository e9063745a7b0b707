import { setTimeout as sleep } from 'node:timers/promises'
import { Piscina } from 'piscina'
import type { FastifyBaseLogger } from 'fastify'
import type { Config } from '../config.js'
import type { PoolTask, TaskOutcome } from './messages.js'
import { workerFile } from '../threads/worker-files.js'

const WARM_TIMEOUT_MS = 30_000

/**
 * The service-wide warm pool: POOL_SIZE threads started once and kept (min = max, so piscina never reaps or grows
 * them mid-measurement). It knows which threads are ready: after a cancel or a crash piscina replaces a thread in
 * the background, and a job that started meanwhile would count that start-up as its own work.
 */
export class WorkerPool {
  readonly piscina: Piscina<PoolTask, TaskOutcome[]>
  readonly size: number
  readonly tasksPerThread: number
  /** thread ids piscina reported ready ('workerCreate' comes once a thread has loaded the worker file) */
  readonly #readyIds = new Set<number>()

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
    this.piscina.on('workerCreate', (worker: { id: number }) => this.#readyIds.add(worker.id))
    // Without a listener a bad worker file would take the whole process down.
    this.piscina.on('error', (error) => log.error({ err: error }, 'worker pool error'))
  }

  /** Threads that are in the pool now and were reported ready (a terminated one leaves piscina's list at once). */
  get readyThreads (): number {
    const live = new Set(this.piscina.threads.map((thread) => thread.threadId))
    for (const id of this.#readyIds) if (!live.has(id)) this.#readyIds.delete(id)
    return this.#readyIds.size
  }

  /** Resolves once every thread is ready, with how long that took (0 when the pool was warm). */
  async warm (): Promise<number> {
    if (this.readyThreads >= this.size) return 0
    const started = performance.now()
    while (this.readyThreads < this.size) {
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
    return this.piscina.destroy()
  }
}

export async function startWorkerPool (config: Config, log: FastifyBaseLogger): Promise<WorkerPool> {
  const pool = new WorkerPool(config, log)
  await pool.warm()
  return pool
}
