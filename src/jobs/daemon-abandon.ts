import type { FastifyBaseLogger } from 'fastify'
import type { LeftBehind, PreparedJob } from '../workloads/workload.js'
import type { Job } from './job.js'

/**
 * A daemon job at shutdown, as CPython treats a daemon thread at interpreter exit: it is stopped where it is, and its
 * `finally` blocks and `with` exits do not run. So the job's cleanup is skipped for what outlives the process (the
 * file workload's temp dir: left with whatever its tasks had written), and the job's error and the shutdown log say
 * what stays. Resources in memory (a db job's connection semaphore) go with the process in Python too: their
 * cleanup runs. Cancelling a daemon job by request (DELETE) is not an exit: it cleans up like any other job.
 */
export const abandonsAtShutdown = (job: Job): boolean => job.spec.daemon && job.stopReason === 'shutdown'

/**
 * Instead of `cleanup`, for a job that abandonsAtShutdown: records on the job what stays. False when the workload has
 * nothing that outlives the process: then the caller cleans up as usual.
 */
export async function abandon (job: Job, prepared: PreparedJob | undefined): Promise<boolean> {
  if (!prepared?.leftBehind) return false
  job.leftBehind = await prepared.leftBehind()
  return true
}

export const ABANDONED = 'a daemon job is abandoned at once'

/** The job's error message for a daemon job ended by shutdown. */
export function abandonedMessage (left: LeftBehind | null): string {
  if (!left) return `cancelled by service shutdown (${ABANDONED})`
  return `cancelled by service shutdown (${ABANDONED}): ${leftBehindSentence(left)}`
}

export function leftBehindSentence (left: LeftBehind): string {
  return `abandoned like a Python daemon thread at exit: its cleanup did not run; left ${left.path} (${left.files} files, ${left.bytes} bytes when it was stopped); the next start of the service removes it`
}

/** The shutdown log's line for a daemon job that left something behind (the log outlives the process). */
export function logAbandoned (log: FastifyBaseLogger, job: Job): void {
  if (!job.leftBehind) return
  log.warn({ jobId: job.id, workload: job.spec.workload, leftBehind: job.leftBehind }, `daemon job ${job.id} ${leftBehindSentence(job.leftBehind)}`)
}
