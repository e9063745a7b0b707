import { dbTask } from './db.js'
import { fileTask } from './file.js'
import { hashTask } from './hash.js'
import { netTask } from './net.js'
import type { TaskFunction } from './workload.js'

export const WORKLOAD_NAMES = ['hash', 'db', 'net', 'file'] as const
export type WorkloadName = typeof WORKLOAD_NAMES[number]

/**
 * The task function of every workload, and nothing else: worker threads and child processes import this, so it
 * must stay light (no schema library) — every import here is start-up time of every thread and process.
 */
export const taskFunctions: Record<WorkloadName, TaskFunction> = {
  hash: hashTask,
  db: dbTask,
  net: netTask,
  file: fileTask
}
