import { runAsync } from './async.js'
import type { Executor, Mode } from './executor.js'
import { runInline } from './inline.js'
import { poolExecutor } from './pool.js'
import { runProcesses } from './processes.js'
import { runThreads } from './threads.js'
import type { WorkerPool } from './worker-pool.js'

/** Every execution mode by name. Adding one is one file plus a line here. */
export function createExecutors (pool: WorkerPool): Record<Mode, Executor> {
  return {
    inline: runInline,
    async: runAsync,
    threads: runThreads,
    pool: poolExecutor(pool),
    processes: runProcesses
  }
}
