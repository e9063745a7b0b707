import { epochNow, scheduledAt, waitUntil } from './arrivals.js'
import { eventLoopTurns } from './event-loop-turn.js'
import type { ModeDefinition } from './mode-definition.js'
import { raceAbort } from './race-abort.js'
import { runTask } from './run-task.js'
import { TaskCursor } from './task-cursor.js'

/** async: up to `concurrency` tasks in flight on the main event loop — I/O concurrency without threads. */
export const asyncMode: ModeDefinition = {
  name: 'async',
  description: 'up to concurrency tasks in flight on the main event loop: I/O concurrency without threads',
  concurrencyMeans: 'tasks in flight (MAX_CONCURRENCY)',
  batches: false,
  allowsCrashInjection: false,
  allowsBlockingDriver: false,
  warmsOwnWorkers: false,
  sharesMemory: true,
  workerMemoryBytes: 0,
  mainThread: true,
  singleTask: true,
  concurrencyLimit: (config) => ({ max: config.MAX_CONCURRENCY, variable: 'MAX_CONCURRENCY' }),
  workersFor: () => 1,
  async run (plan) {
    const cursor = new TaskCursor(plan.tasks)
    const turn = eventLoopTurns(plan.yieldEveryMs)
    const runStartedAt = epochNow()
    plan.window?.started()
    const { arrivals } = plan
    async function lane (): Promise<void> {
      // Closed loop: a lane is a concurrency slot; it frees when its task has been reported.
      let slotFreedAt = runStartedAt
      while (!plan.signal.aborted) {
        const [index] = cursor.take(1)
        if (index === undefined) return
        const dueAt = arrivals ? scheduledAt(arrivals, runStartedAt, index) : slotFreedAt
        // Lanes take indices in order, so each waits for the next arrival: at most `concurrency` run at once.
        if (arrivals) await waitUntil(dueAt, plan.signal)
        if (plan.signal.aborted) return
        const outcome = await runTask(plan.job, index, 'main', plan.signal, plan.inputOf?.(index))
        outcome.dueAt = dueAt
        plan.onOutcomes([outcome])
        await turn()
        slotFreedAt = epochNow()
      }
    }
    const lanes = Array.from({ length: Math.min(plan.concurrency, plan.tasks) }, lane)
    await raceAbort(Promise.all(lanes).then(() => {}), plan.signal)
    plan.window?.ended()
    return { startupMs: 0, teardownMs: 0, workerDeaths: 0 }
  }
}
