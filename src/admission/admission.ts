import type { Config } from '../config.js'
import { RunSlots } from './run-slots.js'
import { TaskSlots } from './task-slots.js'

/**
 * Admission control in one place: everything that takes cores asks here first. Measured runs (jobs, lab runs) share
 * the run slots; single tasks (GET /work, timer fires) share the task slots; compare experiments run one at a time
 * and their runs are jobs. What is over budget is refused with 429 or 503 and Retry-After, never queued without
 * bound. (Process-wide pressure — event-loop delay, heap, RSS — is @fastify/under-pressure's, in app.ts.)
 */
export class Admission {
  readonly runs: RunSlots
  readonly tasks: TaskSlots

  constructor (config: Pick<Config, 'MAX_RUNNING_JOBS' | 'MAX_WORK_IN_FLIGHT'>) {
    this.runs = new RunSlots(config.MAX_RUNNING_JOBS)
    this.tasks = new TaskSlots(config.MAX_WORK_IN_FLIGHT)
  }
}
