import { Piscina } from 'piscina'
import type { FastifyBaseLogger } from 'fastify'
import type { Config } from '../config.js'
import type { PoolTask, TaskOutcome } from './messages.js'
import { workerFile } from './worker-files.js'

export type WorkerPool = Piscina<PoolTask, TaskOutcome[]>

/**
 * The service-wide warm pool: POOL_SIZE threads started once and kept (min = max, so piscina never reaps or grows
 * them mid-measurement). Resolves once every thread has run a warm-up task.
 */
export async function startWorkerPool (config: Config, log: FastifyBaseLogger): Promise<WorkerPool> {
  const pool: WorkerPool = new Piscina({
    filename: workerFile('pool-entry').href,
    minThreads: config.POOL_SIZE,
    maxThreads: config.POOL_SIZE,
    idleTimeout: 60_000,
    concurrentTasksPerWorker: config.POOL_TASKS_PER_THREAD
  })
  // Without a listener a bad worker file would take the whole process down.
  pool.on('error', (error) => log.error({ err: error }, 'worker pool error'))
  await Promise.all(Array.from({ length: config.POOL_SIZE }, () => pool.run({ job: null, indices: [] })))
  return pool
}
