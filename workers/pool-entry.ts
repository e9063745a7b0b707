/**
 * The piscina pool's task: a batch of task indices of one job, run one after another on this pool thread, until
 * the job's stop cell says it was cancelled.
 */
import { threadId } from 'node:worker_threads'
import type { PoolTask, TaskOutcome } from '../src/executors/messages.js'
import { crashIfAsked, runTask } from '../src/executors/run-task.js'

const label = `pool thread ${threadId}`

export default async function runPoolTask ({ job, indices, inputs, stop }: PoolTask): Promise<TaskOutcome[]> {
  const outcomes: TaskOutcome[] = []
  if (!job) return outcomes
  const stopped = stop ? new Int32Array(stop) : undefined
  for (const [position, index] of indices.entries()) {
    if (stopped && Atomics.load(stopped, 0) === 1) break
    crashIfAsked(job, index)
    outcomes.push(await runTask(job, index, label, undefined, inputs?.[position]))
  }
  return outcomes
}
