import { gilFor } from '../sync/gil.js'
import { taskFunctions } from '../workloads/tasks.js'
import type { JobContext, TaskOutcome } from './messages.js'

function errorMessage (error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/**
 * Runs one task of a job, wherever it is called from (main thread, worker thread, pool thread, child process), and
 * measures it the same way: a throw becomes a failed outcome, never an exception.
 */
export async function runTask (job: JobContext, index: number, worker: string, signal?: AbortSignal, input?: Uint8Array): Promise<TaskOutcome> {
  const gil = gilFor(job.gil)
  const waitedBefore = gil.waitedMs
  const started = performance.now()
  let outcome: TaskOutcome
  // A task holds the GIL while it runs, except where it waits on I/O (the workloads release it there).
  gil.acquire()
  try {
    const result = await taskFunctions[job.workload](job.params, {
      index: index + (job.indexOffset ?? 0),
      seed: job.seed,
      shared: job.shared,
      upstreamUrl: job.upstreamUrl,
      latencyCapMs: job.latencyCapMs,
      signal,
      gil,
      // Shipped input (the sender made it and sent it with the task): the task reads it instead of making its own.
      ...input && { input }
    })
    outcome = { index, ok: true, runMs: performance.now() - started, startedAt: performance.timeOrigin + started, value: result.value, worker }
    if (result.waitMs !== undefined) outcome.waitMs = result.waitMs
  } catch (error) {
    outcome = { index, ok: false, runMs: performance.now() - started, startedAt: performance.timeOrigin + started, error: errorMessage(error), worker }
    // A task that failed after waiting for a shared resource (a db connection) says how long it waited.
    const waitMs = (error as { waitMs?: unknown } | null)?.waitMs
    if (typeof waitMs === 'number') outcome.waitMs = waitMs
  } finally {
    gil.release()
  }
  if (job.gil) outcome.gilWaitMs = gil.waitedMs - waitedBefore
  return outcome
}

/** Exit code of a worker that crashed on purpose (crashAtTask). */
export const CRASH_EXIT_CODE = 70

/** Fault injection for the crash lesson: only worker entries call this, never the main thread. */
export function crashIfAsked (job: JobContext, index: number): void {
  if (job.crashAtTask === index) process.exit(CRASH_EXIT_CODE)
}
