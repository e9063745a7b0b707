/**
 * The piscina pool's task: a batch of task indices of one job, run one after another on this pool thread.
 * An empty batch with no job is the warm-up that proves the thread is up.
 */
import { threadId } from 'node:worker_threads'
import type { PoolTask, TaskOutcome } from '../src/executors/messages.js'
import { crashIfAsked, runTask } from '../src/executors/run-task.js'

const label = `pool thread ${threadId}`

export default async function runPoolTask ({ job, indices }: PoolTask): Promise<TaskOutcome[]> {
  const outcomes: TaskOutcome[] = []
  if (!job) return outcomes
  for (const index of indices) {
    crashIfAsked(job, index)
    outcomes.push(await runTask(job, index, label))
  }
  return outcomes
}
