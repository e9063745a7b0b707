/**
 * Message shapes shared by the main thread and the worker entries (threads, pool, processes).
 *
 *   main ──JobContext──▶ worker entry ──runTask──▶ workload task function
 *   main ◀──TaskOutcome[]── worker entry
 */
import type { GilShared } from '../sync/gil.js'
import type { ArrivalSchedule } from './arrivals.js'
import type { WorkloadName } from '../workloads/tasks.js'

/** Everything a worker needs to run any task of a job. Structured-cloneable. */
export interface JobContext {
  jobId: string
  workload: WorkloadName
  params: unknown
  seed: number
  /** the workload's per-job resources (see Workload.prepare) */
  shared: unknown
  upstreamUrl: string
  /** no simulated wait of a task is longer (MAX_LATENCY_MS) */
  latencyCapMs: number
  /** fault injection: the worker that claims this task exits with code 70 (threads, pool and processes only) */
  crashAtTask?: number
  /** added to each task's index as the task function sees it: a single task's number in a series (a timer's fires) */
  indexOffset?: number
  /** the emulated GIL, when the job asked for one */
  gil?: GilShared
  /**
   * each task's input comes from the main thread with the task (ExecutionPlan.inputOf): a thread of the threads
   * mode asks for it when it claims a task ('input' messages); pool and process dispatches carry `inputs`
   */
  inputShipped?: true
}

export interface TaskOutcome {
  index: number
  ok: boolean
  /** time the task function ran, measured where it ran, in ms */
  runMs: number
  /** when it started, in ms since the epoch (performance.timeOrigin + now: comparable across threads and processes) */
  startedAt?: number
  /** when it became due, in ms since the epoch (src/executors/arrivals.ts): start − this = queueMs */
  dueAt?: number
  waitMs?: number
  /** time the task waited for the emulated GIL, in ms */
  gilWaitMs?: number
  value?: string | number
  error?: string
  /** which thread or process ran it: 'main', 'thread 3', 'pool thread 2', 'pid 1234' */
  worker: string
  /** failed because its thread or process died: it has no run time of its own (left out of latency and busy time) */
  lost?: true
}

export interface CpuTimes { userMs: number, systemMs: number }

/** Layout of the threads executor's control block in shared memory (Int32 cells). */
export const ThreadControl = {
  /** next task index to claim (Atomics.add) */
  NEXT: 0,
  /** 1 = stop claiming (cancel) */
  STOP: 1,
  /** first of one cell per worker: the index it is running, −1 when idle */
  RUNNING: 2
} as const

export interface ThreadWorkerData {
  job: JobContext
  slot: number
  tasks: number
  control: SharedArrayBuffer
  /** open loop: each task's due offset after the run's start (shared memory) */
  arrivals?: ArrivalSchedule
}

/**
 * A fresh worker's share of the job's warm-up (see warm-phase.ts): its task numbers are firstIndex, firstIndex +
 * stride, … (after the job's own, distinct across workers), `tasks` of them or until `untilEpoch` (ms since the epoch).
 */
export interface WarmAsk {
  type: 'warm'
  firstIndex: number
  stride: number
  tasks?: number
  untilEpoch?: number
}

/** 'go' from the main thread: the run starts now (ms since the epoch), the first tasks are due at this time. */
export interface ThreadGo { type: 'go', runStartedAt: number }

/** A claimed task's shipped input, the main thread's answer to a thread's 'input' (a structured-clone copy). */
export interface ThreadInput { type: 'input', index: number, input: Uint8Array }

export type ThreadToMain =
  | { type: 'ready' }
  /** it claimed task `index` of a job whose input is shipped: the main thread sends the bytes (ThreadInput) */
  | { type: 'input', index: number }
  | { type: 'warmed' }
  | { type: 'outcomes', outcomes: TaskOutcome[] }
  | { type: 'done' }

/** One piscina dispatch: a batch of task indices of one job (no job = warm-up). */
export interface PoolTask {
  job: JobContext | null
  indices: number[]
  /** shipped input: the bytes of each task of `indices`, in order (copied into the pool thread by structured clone) */
  inputs?: Uint8Array[]
  /** Int32 cell set to 1 on cancel: the thread stops before its next task (cooperative cancel) */
  stop?: SharedArrayBuffer
}

export type MainToChild =
  | { type: 'init', job: JobContext }
  | WarmAsk
  | {
    type: 'run'
    indices: number[]
    /** closed loop: when the chunk was handed out (the child may add its wait behind the chunk before) */
    dueAt: number
    /** shipped input: each task's bytes, in order (through the IPC channel, V8-serialized: 'advanced' serialization) */
    inputs?: Uint8Array[]
  }
  | { type: 'stop' }

export type ChildToMain =
  | { type: 'ready', cpu: CpuTimes }
  | { type: 'warmed', cpu: CpuTimes }
  | { type: 'outcomes', outcomes: TaskOutcome[], cpu: CpuTimes, chunkDone: boolean }
  | { type: 'bye', cpu: CpuTimes }
