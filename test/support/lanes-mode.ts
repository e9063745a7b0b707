import type { ModeDefinition } from '../../src/executors/mode-definition.js'
import { raceAbort } from '../../src/executors/race-abort.js'
import { runTask } from '../../src/executors/run-task.js'
import { TaskCursor } from '../../src/executors/task-cursor.js'

/** Lanes running now: the mode's live-worker count. */
let runningLanes = 0

export const LANES_LIMIT = 3

/**
 * A sixth mode that exists only in tests, to prove that a mode is one definition: `concurrency` lanes on the main
 * thread, each reported as its own worker ("lane 0", "lane 1"…), at most LANES_LIMIT of them. Nothing outside this
 * file knows it; the tests pass it to buildApp.
 */
export const lanesMode: ModeDefinition = {
  name: 'lanes',
  description: 'test only: concurrency lanes on the main thread, each its own worker',
  concurrencyMeans: `lanes (at most ${LANES_LIMIT})`,
  batches: false,
  allowsCrashInjection: false,
  allowsBlockingDriver: true,
  warmsOwnWorkers: false,
  sharesMemory: true,
  workerMemoryBytes: 0,
  mainThread: true,
  singleTask: true,
  concurrencyLimit: () => ({ max: LANES_LIMIT, variable: 'the test mode lanes has at most 3' }),
  workersFor: (concurrency) => concurrency,
  liveWorkers: () => runningLanes,
  async run (plan) {
    const cursor = new TaskCursor(plan.tasks)
    const lane = async (slot: number) => {
      runningLanes++
      try {
        while (!plan.signal.aborted) {
          const [index] = cursor.take(1)
          if (index === undefined) return
          plan.onOutcomes([await runTask(plan.job, index, `lane ${slot}`, plan.signal)])
        }
      } finally {
        runningLanes--
      }
    }
    await raceAbort(Promise.all(Array.from({ length: Math.min(plan.concurrency, plan.tasks) }, (_, slot) => lane(slot))).then(() => {}), plan.signal)
    return { startupMs: 0, teardownMs: 0, workerDeaths: 0 }
  }
}
