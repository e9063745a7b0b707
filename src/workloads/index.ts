import { dbWorkload } from './db.js'
import { fileWorkload } from './file.js'
import { hashWorkload } from './hash.js'
import { netWorkload } from './net.js'
import type { Workload } from './workload.js'

export const WORKLOAD_NAMES = ['hash', 'db', 'net', 'file'] as const
export type WorkloadName = typeof WORKLOAD_NAMES[number]

/** Every workload by name. Adding one is one file plus a line here. */
export const workloads: Record<WorkloadName, Workload> = {
  hash: hashWorkload,
  db: dbWorkload,
  net: netWorkload,
  file: fileWorkload
}
