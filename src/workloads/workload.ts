import type { TSchema } from 'typebox'
import type { Config } from '../config.js'
import type { MemoryContext, MemoryEstimate } from '../jobs/memory-budget.js'
import type { GilLike } from '../sync/gil.js'

/** What a task function sees besides its params. Everything here can cross a thread boundary. */
export interface TaskContext {
  /** 0-based number of the task within its job */
  index: number
  /** the job's seed: (seed, index) fixes every random choice of the task */
  seed: number
  /** what the workload's `prepare` made for the job (a temp dir, a shared semaphore), or undefined */
  shared: unknown
  /** base URL of the latency upstream for the net workload */
  upstreamUrl: string
  /** no simulated wait of a task is longer (MAX_LATENCY_MS): a sampled latency is capped here */
  latencyCapMs: number
  /** aborted when the job is cancelled (main-thread modes only: elsewhere the thread or process is terminated) */
  signal?: AbortSignal
  /** the emulated GIL (a no-op unless the job asked for one): tick() in CPU loops, io()/blocking() around waits */
  gil: GilLike
  /**
   * the task's input bytes, made by the sender and sent with the task (a copy through postMessage or IPC), when
   * the workload ships its input (Workload.taskInput); absent, the task makes or shares its data where it runs
   */
  input?: Uint8Array
}

/** What a workload's taskInput makes a task's input from, on the sending side. */
export interface TaskInputSource {
  seed: number
  /** what the workload's prepare made for the job (its seeded data in shared memory) */
  shared: unknown
}

export interface TaskResult {
  /** the task's answer (a digest, a row count, a status): reports keep the first few so results can be checked */
  value: string | number
  /** time the task waited for a shared resource (a db connection) before it could run, in ms */
  waitMs?: number
}

/** Which job a workload's prepare makes resources for. */
export interface PrepareContext {
  /** names its resources (a temp dir) */
  jobId: string
  /** the job's seed: the seeded data is made from it */
  seed: number
}

/** What a resource that outlives the process holds now: a daemon job abandoned at shutdown leaves it in place. */
export interface LeftBehind {
  path: string
  files: number
  bytes: number
}

/** Per-job resources a workload needs (a temp dir, a connection pool) and how to remove them. */
export interface PreparedJob {
  shared: unknown
  cleanup: () => Promise<void>
  /**
   * Only for resources that outlive the process (a temp dir): what they hold now. A daemon job abandoned at
   * shutdown does not run `cleanup`, as a Python daemon thread's `finally` does not run at exit, and reports this
   * instead. Without it the resources live in memory and go with the process: `cleanup` runs.
   */
  leftBehind?: () => Promise<LeftBehind>
}

/**
 * A workload: one pure task function plus the schema of its params. Executors run `task` unchanged wherever they
 * run it; nothing outside this folder knows what a workload does.
 */
export interface ParamsCheckContext {
  config: Config
  /** tasks that may be in flight at once (1 for GET /work) */
  concurrency: number
  /** one task answering one request (GET /work): where it holds the event loop, it must be short */
  singleRequest: boolean
  /** whether the job runs under the emulated GIL (spec.gil) */
  gil: boolean
  /** what the chosen mode allows (its definition in src/executors/; a workload never compares mode names) */
  mode: { name: string, allowsBlockingDriver: boolean, mainThread: boolean, shipsTaskInput?: boolean }
}

export type TaskFunction<P = any> = (params: P, context: TaskContext) => TaskResult | Promise<TaskResult>

export interface Workload<P = any> {
  summary: string
  /** params schema; bounds come from the config so every limit is configurable */
  paramsSchema: (config: Config) => TSchema
  /** rules across fields that a schema cannot say; returns a message naming the fields (under `at`, e.g.
   * 'body/params') and the limit, or undefined */
  checkParams?: (params: P, at: string, context: ParamsCheckContext) => string | undefined
  prepare?: (params: P, job: PrepareContext) => Promise<PreparedJob>
  /** the memory its data takes for a job (memory-budget.ts adds the workers'): checked against MAX_JOB_MEMORY_BYTES */
  memoryBytes?: (params: P, context: MemoryContext, paramsAt: string) => MemoryEstimate
  /**
   * bytes of input the sender makes for each task and sends with it, when its params ask for that (multiprocessing's
   * pickled arguments); undefined: tasks make or share their data where they run. With it, taskInput makes them.
   */
  shippedBytes?: (params: P) => number | undefined
  /** main thread, the sending side: task `index`'s input (memory of its own: it is copied to wherever the task runs) */
  taskInput?: (params: P, source: TaskInputSource, index: number) => Uint8Array
  /** at start-up: removes what `prepare` made for services that are gone (they could not clean up); the paths removed */
  sweep?: () => Promise<string[]>
  /**
   * On cancel, a task already running in a worker thread is let finish (up to CANCEL_GRACE_MS) before its thread is
   * terminated: terminating a thread while its fs.promises work is in flight leaks the file descriptor that work
   * opened (Node 20 and 24), and the file's blocks with it once its directory is removed.
   */
  finishesTaskOnCancel?: boolean
  task: TaskFunction<P>
}
