import { epochNow, scheduledAt, waitUntil } from './arrivals.js'
import { eventLoopTurns } from './event-loop-turn.js'
import type { ModeDefinition } from './mode-definition.js'
import { raceAbort } from './race-abort.js'
import { runTask } from './run-task.js'

/** inline: one task after another on the main thread — the baseline, and CPU work blocks the server. */
export const inlineMode: ModeDefinition = {
  name: 'inline',
  description: 'one task after another on the main thread: the baseline; CPU work blocks the server',
  concurrencyMeans: '1',
  batches: false,
  allowsCrashInjection: false,
  allowsBlockingDriver: false,
  warmsOwnWorkers: false,
  sharesMemory: true,
  workerMemoryBytes: 0,
  mainThread: true,
  singleTask: true,
  concurrencyLimit: () => ({ max: 1, variable: 'inline runs one task at a time' }),
  workersFor: () => 1,
  async run (plan) {
    const turn = eventLoopTurns(plan.yieldEveryMs)
    const runStartedAt = epochNow()
    plan.window?.started()
    const { arrivals } = plan
    const work = async () => {
      // Closed loop: the one slot frees when a task has been reported (the yield to the event loop included).
      let slotFreedAt = runStartedAt
      for (let index = 0; index < plan.tasks && !plan.signal.aborted; index++) {
        const dueAt = arrivals ? scheduledAt(arrivals, runStartedAt, index) : slotFreedAt
        if (arrivals) await waitUntil(dueAt, plan.signal)
        if (plan.signal.aborted) break
        const outcome = await runTask(plan.job, index, 'main', plan.signal, plan.inputOf?.(index))
        outcome.dueAt = dueAt
        plan.onOutcomes([outcome])
        await turn()
        slotFreedAt = epochNow()
      }
    }
    await raceAbort(work(), plan.signal)
    plan.window?.ended()
    return { startupMs: 0, teardownMs: 0, workerDeaths: 0 }
  }
}
