import type { FastifyInstance } from 'fastify'
import { CoresBusy, LabBusy, withRetryAfter } from '../errors.js'

export interface RunGuardOptions {
  /** the run needs the machine to itself: one of the run slots jobs use too (a compare's runs are jobs: it needs none) */
  claimsCores: boolean
}

/**
 * One run of a lab at a time — the threads of two runs would share the cores and each other's numbers — and the run
 * in flight is stopped when the service closes (in preClose, before the server waits for open requests).
 * Returns the guard a route wraps its run in: a second run meanwhile is 429 LAB_BUSY; a run while a job or another
 * lab holds every run slot (MAX_RUNNING_JOBS) is 429 CORES_BUSY, with Retry-After from the scheduler's estimate.
 */
export function oneRunAtATime (app: FastifyInstance, lab: string, { claimsCores }: RunGuardOptions = { claimsCores: true }) {
  let running: AbortController | undefined
  app.addHook('preClose', async () => { running?.abort() })
  return async <T>(run: (signal: AbortSignal) => Promise<T>): Promise<T> => {
    const { admission, scheduler } = app.lab
    if (running) throw withRetryAfter(new LabBusy(lab), 1)
    const release = claimsCores ? admission.runs.tryClaim(lab) : () => {}
    if (!release) {
      const holders = admission.runs.holders.join(', ')
      const waiting = scheduler.queuedCount > 0 ? `${scheduler.queuedCount} job(s) wait after it` : 'retry when it has ended'
      throw withRetryAfter(new CoresBusy(holders, waiting), scheduler.retryAfterSeconds())
    }
    const controller = new AbortController()
    running = controller
    try {
      return await run(controller.signal)
    } finally {
      running = undefined
      release()
    }
  }
}
