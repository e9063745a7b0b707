import { eventLoopTurns } from './event-loop-turn.js'
import type { Executor } from './executor.js'
import { raceAbort } from './race-abort.js'
import { runTask } from './run-task.js'
import { TaskCursor } from './task-cursor.js'

/** async: up to `concurrency` tasks in flight on the main event loop — I/O concurrency without threads. */
export const runAsync: Executor = async (plan) => {
  const cursor = new TaskCursor(plan.tasks)
  const turn = eventLoopTurns(plan.yieldEveryMs)
  async function lane (): Promise<void> {
    while (!plan.signal.aborted) {
      const [index] = cursor.take(1)
      if (index === undefined) return
      plan.onOutcomes([await runTask(plan.job, index, 'main', plan.signal)])
      await turn()
    }
  }
  const lanes = Array.from({ length: Math.min(plan.concurrency, plan.tasks) }, lane)
  await raceAbort(Promise.all(lanes).then(() => {}), plan.signal)
  return { startupMs: 0, teardownMs: 0, workerDeaths: 0 }
}
