import type { Piscina } from 'piscina'
import type { Executor } from './executor.js'
import type { PoolTask, TaskOutcome } from './messages.js'
import { TaskCursor } from './task-cursor.js'

/**
 * pool: the service's warm piscina pool, with at most `concurrency` dispatches of `batch` tasks in flight.
 * Cancel aborts every dispatch: queued ones are dropped, running ones cost piscina its thread (it starts a new one).
 * A dispatch whose thread dies fails all of its tasks; the pool replaces the thread and the job goes on.
 */
export function poolExecutor (pool: Piscina<PoolTask, TaskOutcome[]>): Executor {
  return async (plan) => {
    const cursor = new TaskCursor(plan.tasks)
    let deaths = 0
    async function lane (): Promise<void> {
      while (!plan.signal.aborted) {
        const indices = cursor.take(plan.batch)
        if (indices.length === 0) return
        try {
          plan.onOutcomes(await pool.run({ job: plan.job, indices }, { signal: plan.signal }))
        } catch (error) {
          if (plan.signal.aborted) return
          deaths++
          const message = `pool thread died: ${(error as Error).message}`
          plan.onOutcomes(indices.map((index) => ({ index, ok: false, runMs: 0, error: message, worker: 'pool', lost: true as const })))
        }
      }
    }
    const lanes = Math.min(plan.concurrency, Math.ceil(plan.tasks / plan.batch))
    await Promise.all(Array.from({ length: lanes }, lane))
    return { startupMs: 0, teardownMs: 0, workerDeaths: deaths }
  }
}
