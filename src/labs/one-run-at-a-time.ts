import type { FastifyInstance } from 'fastify'
import { LabBusy } from '../errors.js'

/**
 * One run of a lab at a time — the threads of two runs would share the cores and each other's numbers — and the run
 * in flight is stopped when the service closes (in preClose, before the server waits for open requests).
 * Returns the guard a route wraps its run in: a second run meanwhile is 429 LAB_BUSY.
 */
export function oneRunAtATime (app: FastifyInstance, lab: string) {
  let running: AbortController | undefined
  app.addHook('preClose', async () => { running?.abort() })
  return async <T>(run: (signal: AbortSignal) => Promise<T>): Promise<T> => {
    if (running) throw new LabBusy(lab)
    const controller = new AbortController()
    running = controller
    try {
      return await run(controller.signal)
    } finally {
      running = undefined
    }
  }
}
