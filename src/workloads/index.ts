import { checkDbParams, dbParamsSchema } from './params/db.js'
import { prepareDbJob } from './db.js'
import { checkFileParams, fileParamsSchema } from './params/file.js'
import { fileMemory, prepareFileJob, sweepOrphanedFileDirs } from './file.js'
import { hashMemory, hashShippedBytes, hashTaskInput, prepareHashJob } from './hash.js'
import { checkHashParams, hashParamsSchema } from './params/hash.js'
import { netParamsSchema } from './params/net.js'
import { WORKLOAD_NAMES, taskFunctions, type WorkloadName } from './tasks.js'
import type { Workload } from './workload.js'

export { WORKLOAD_NAMES, type WorkloadName }

/**
 * Every workload with its params schema, checks and per-job resources (main thread only). Adding a workload is
 * its task file, its params file, and a line here and in tasks.ts.
 */
export const workloads: Record<WorkloadName, Workload> = {
  hash: {
    summary: 'CPU-bound: chained hashing of seeded data; returns the final digest',
    paramsSchema: hashParamsSchema,
    checkParams: checkHashParams,
    prepare: prepareHashJob,
    memoryBytes: hashMemory,
    shippedBytes: hashShippedBytes,
    taskInput: hashTaskInput,
    task: taskFunctions.hash
  },
  db: {
    summary: 'simulated database query: fixed or log-normal latency, async or blocking driver, a connection pool, seeded errors',
    paramsSchema: dbParamsSchema,
    checkParams: checkDbParams,
    prepare: prepareDbJob,
    task: taskFunctions.db
  },
  net: {
    summary: 'I/O-bound: an HTTP round trip over loopback to the latency upstream (keep-alive)',
    paramsSchema: netParamsSchema,
    task: taskFunctions.net
  },
  file: {
    summary: 'file I/O in a per-job temp directory: write seeded data, optional fsync, read back, verify, delete',
    paramsSchema: fileParamsSchema,
    checkParams: checkFileParams,
    prepare: prepareFileJob,
    memoryBytes: fileMemory,
    sweep: sweepOrphanedFileDirs,
    finishesTaskOnCancel: true,
    task: taskFunctions.file
  }
}
