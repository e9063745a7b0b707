import type { ArrivalSchedule } from './arrivals.js'
import type { BatchSetting } from './batch-sizer.js'
import type { OutcomeSummary } from '../measure/outcome-summary-schema.js'
import type { ReplicaStats } from '../measure/report-schema.js'
import type { CpuTimes, JobContext, TaskOutcome } from './messages.js'

/** What the job runner asks of an executor. The executor decides only *where* tasks run. */
export interface ExecutionPlan {
  job: JobContext
  tasks: number
  /** lanes (inline: 1), threads, in-flight pool dispatches, or processes */
  concurrency: number
  /** task indices per dispatch (pool, processes), or 'auto' (see BatchSizer) */
  batch: BatchSetting
  /** batch 'auto': the run time one dispatch should carry (AUTO_BATCH_MS), and its largest size (MAX_BATCH) */
  autoBatchMs: number
  maxBatch: number
  /** open loop: when each task is due after the run's start (see arrivals.ts); absent: closed loop */
  arrivals?: ArrivalSchedule
  /**
   * shipped input (the workload's taskInput, its params asked for it): makes task `index`'s bytes on the main
   * thread, called as the task is dispatched; the mode sends them with the task to wherever it runs
   */
  inputOf?: (index: number) => Uint8Array
  /** aborted on cancel, timeout or shutdown: stop dispatching and tear down at once (but see cancelGraceMs) */
  signal: AbortSignal
  /**
   * after `signal` aborts, how long a task already running in a worker thread may take to finish before the thread
   * is terminated (CANCEL_GRACE_MS for a workload that finishesTaskOnCancel, else 0: at once)
   */
  cancelGraceMs: number
  /** called as outcomes arrive; every task reported exactly once, unless the job was stopped */
  onOutcomes: (outcomes: TaskOutcome[]) => void
  /**
   * outcomes summarized where they ran (a cluster slice: its counts and histograms, not one record per task),
   * counted in the job's progress and report exactly as onOutcomes would count them one by one. The task metrics
   * are left to the replica that ran them. A mode that never summarizes does not call it.
   */
  onSummary?: (summary: OutcomeSummary) => void
  /** what the task metrics call these tasks where a mode counts them away from the runner (a cluster's replicas); default 'job' */
  taskSource?: 'job' | 'warmup'
  /**
   * the measured window's edges, for the CPU figures to cover what wallMs covers: `started` when dispatching
   * begins (workers ready), `ended` when the last outcome is in (before the join). Called again, the last call wins.
   */
  window?: { started: () => void, ended: () => void }
  /** largest V8 heap of a thread or child process the mode starts (WORKER_MAX_HEAP_MB): passing it kills that worker only */
  workerHeapMb: number
  /** main-thread modes give the event loop a turn once this long has passed since the last one */
  yieldEveryMs: number
  /**
   * a job: wait until the mode's standing workers are all ready (the pool replacing threads after a cancel), so
   * their start-up is reported as start-up, not counted as work; a single task (GET /work, a timer fire) just runs
   */
  awaitWarmWorkers: boolean
  /**
   * a mode that starts its own workers (ModeDefinition.warmsOwnWorkers): the job's warm-up, to run inside them once
   * all are ready and before the window opens; its outcomes go to onWarmupOutcomes (task numbers from `tasks` up)
   */
  warmup?: WarmupAsked
  onWarmupOutcomes?: (outcomes: TaskOutcome[]) => void
}

/** A job's `warmup`: that many tasks in all, or tasks for that long. */
export interface WarmupAsked {
  tasks?: number
  ms?: number
}

/** What a job's warm-up ran before its measured window: nothing of it is in any figure of the report. */
export interface WarmupDone {
  tasks: number
  ms: number
}

export interface ExecutionResult {
  /** time to start threads or processes until all were ready (excluded from wall time) */
  startupMs: number
  /** time to join threads or processes at the end (excluded from wall time) */
  teardownMs: number
  /** CPU that child processes reported for themselves over their whole life (the parent's own figure cannot include it) */
  childCpu?: CpuTimes
  /** the part of childCpu spent inside the measured window (not start-up, warm-up or the join): the report's share */
  childCpuInWindow?: CpuTimes
  /** the warm-up the mode ran inside its own workers (plan.warmup) */
  warmup?: WarmupDone
  /** set when the job cannot go on (every thread died): the job fails with this message */
  fatalError?: string
  /** threads or processes that died during the job */
  workerDeaths: number
  /** dispatches sent (pool, processes; cluster: slices): tasks ÷ dispatches is the batch size they ran with */
  dispatches?: number
  /** cluster: each replica's share (report.byReplica) */
  byReplica?: ReplicaStats[]
  /** cluster: slices run again after their replica died or they failed (report.retriedSlices) */
  retriedSlices?: number
  /**
   * what report.cpu covers when the job's work ran elsewhere too (cluster: the coordinating replica only): the
   * report then says so instead of taking the other replicas' work on the same machine for other load
   */
  cpuCovers?: string
  /** the job cannot go on because what the mode depends on is gone (cluster: Redis): the job fails with this message */
  fatalDependency?: string
}

/** A mode's name: one of the registry's (src/executors/registry.ts), checked by the spec schema's enum. */
export type Mode = string
