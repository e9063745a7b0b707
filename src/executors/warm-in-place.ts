import { epochNow } from './arrivals.js'
import type { JobContext, TaskOutcome, WarmAsk } from './messages.js'
import { OutcomeBuffer } from './outcome-buffer.js'
import { runTask } from './run-task.js'

/**
 * Runs a fresh worker's share of the job's warm-up inside that worker (a thread or a child process), so its JIT,
 * caches and per-thread data are warm when the measured run starts there. Outcomes go out in batches like the
 * measured ones; fault injection does not apply (warm-up task numbers are all past the job's own).
 */
export async function warmInPlace (job: JobContext, ask: WarmAsk, worker: string, send: (outcomes: TaskOutcome[]) => void, stopped: () => boolean): Promise<void> {
  const buffer = new OutcomeBuffer(send)
  for (let done = 0; !stopped(); done++) {
    if (ask.tasks !== undefined ? done >= ask.tasks : epochNow() >= (ask.untilEpoch ?? 0)) break
    buffer.push(await runTask(job, ask.firstIndex + done * ask.stride, worker))
  }
  buffer.flush()
}
