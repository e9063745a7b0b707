import type { Config } from '../config.js'
import type { ModeDefinition } from '../executors/mode-definition.js'
import type { Workload } from '../workloads/workload.js'
import type { BatchSetting } from '../executors/batch-sizer.js'
import { tasksPerShippedDispatch } from './task-plan.js'

const MiB = 1024 * 1024

/** What a workload's memory estimate is told about where its tasks run. */
export interface MemoryContext {
  /** threads or processes the job runs its tasks on (1 on the main thread) */
  workers: number
  /** whether they share one copy of the job's data (threads, the pool), or each hold their own (processes) */
  sharesMemory: boolean
  /** tasks in flight at once */
  concurrency: number
  /** dispatches one lane may hold at once: the one it runs and those sent ahead (processes: the next chunk) */
  dispatchesHeld: number
  /** the most tasks one dispatch carries (batch, or the cap of 'auto' for shipped input; 1 where the mode does not batch) */
  tasksPerDispatch: number
}

/** A workload's estimate of the memory its data takes, and the formula in the words of a 400 (its fields named). */
export interface MemoryEstimate { bytes: number, formula: string }

/**
 * The memory a job would hold — its data (the workload's estimate) plus the workers it starts (each mode's
 * workerMemoryBytes, measured) — checked at submit against
 * MAX_JOB_MEMORY_BYTES: a message naming the fields and the limit, or undefined when it fits.
 */
export function memoryProblem (config: Config, mode: ModeDefinition, workload: Workload, params: unknown, at: string, paramsAt: string, concurrency: number, batch: BatchSetting): string | undefined {
  const workers = mode.workersFor(concurrency, config)
  const tasksPerDispatch = !mode.batches ? 1 : batch === 'auto' ? tasksPerShippedDispatch(config, workload.shippedBytes?.(params)) : batch
  const data = workload.memoryBytes?.(params, { workers, sharesMemory: mode.sharesMemory, concurrency, dispatchesHeld: mode.dispatchesHeld ?? 1, tasksPerDispatch }, paramsAt)
  const workersBytes = workers * mode.workerMemoryBytes
  const total = (data?.bytes ?? 0) + workersBytes
  if (total <= config.MAX_JOB_MEMORY_BYTES) return undefined
  const parts = [data ? `${data.formula} = ${mib(data.bytes)}` : '', workersBytes > 0 ? `${workers} ${mode.name} × ${mib(mode.workerMemoryBytes)} = ${mib(workersBytes)}` : '']
  return `${at}: this job would hold about ${mib(total)} (${parts.filter(Boolean).join(', plus ')}), over MAX_JOB_MEMORY_BYTES (${mib(config.MAX_JOB_MEMORY_BYTES)}); lower ${paramsAt}/bytes or ${at}/concurrency${mode.sharesMemory ? '' : ', or use threads or the pool, whose workers share one copy'}`
}

const mib = (bytes: number) => `${(bytes / MiB).toFixed(bytes < 10 * MiB ? 1 : 0)} MiB`
