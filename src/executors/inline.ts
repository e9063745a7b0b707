import { eventLoopTurns } from './event-loop-turn.js'
import type { Executor } from './executor.js'
import { raceAbort } from './race-abort.js'
import { runTask } from './run-task.js'

/** inline: one task after another on the main thread — the baseline, and CPU work blocks the server. */
export const runInline: Executor = async (plan) => {
  const turn = eventLoopTurns(plan.yieldEveryMs)
  const work = async () => {
    for (let index = 0; index < plan.tasks && !plan.signal.aborted; index++) {
      plan.onOutcomes([await runTask(plan.job, index, 'main', plan.signal)])
      await turn()
    }
  }
  await raceAbort(work(), plan.signal)
  return { startupMs: 0, teardownMs: 0, workerDeaths: 0 }
}
