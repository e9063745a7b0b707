import type { FastifyBaseLogger } from 'fastify'
import type { Config } from '../config.js'
import type { ObserveTasks } from '../jobs/runner-deps.js'
import type { ExecutionPlan, ExecutionResult } from './executor.js'
import type { WorkerPool } from './worker-pool.js'

/**
 * What a mode that needs a service of its own for as long as the app runs keeps (the cluster mode: its Redis
 * connections and slice worker): started with the app when the mode is available, closed with it.
 */
export interface ModeEngine {
  /** what /readyz shows of it; it never makes the service unready (the other modes do not need it) */
  status: () => Record<string, string | number | boolean>
  close: () => Promise<void>
}

/** What an engine may use: the service's pool (it runs tasks there), its upstream, its metrics and log. */
export interface EngineDeps {
  config: Config
  pool: WorkerPool
  upstreamUrl: string
  log: FastifyBaseLogger
  observeTasks: ObserveTasks
}

/** What the service lends a mode while it runs: the warm pool (its own threads are the mode's business), engines by mode name. */
export interface ModeRuntime {
  pool: WorkerPool
  engines: ReadonlyMap<string, ModeEngine>
}

/** A mode's largest concurrency and what names that limit in a 400 (its env variable, or why it is fixed). */
export interface ModeLimit {
  max: number
  variable: string
}

/**
 * Everything the rest of the service needs to know about one execution mode. Each executor file exports one;
 * the registry collects them, and the spec schema, its cross-field rules, compare, metrics, /readyz, /work and `/`
 * read them from there. A new mode is one file that exports one of these, plus its line in the registry.
 */
export interface ModeDefinition {
  name: string
  /** where its tasks run, in one line (GET /, the OpenAPI enum's description) */
  description: string
  /** what `concurrency` counts in this mode ("tasks in flight", "threads"), for the spec's description */
  concurrencyMeans: string
  run: (plan: ExecutionPlan, runtime: ModeRuntime) => Promise<ExecutionResult>
  /** whether dispatches carry several tasks (`batch`); other modes accept only batch 1 or auto */
  batches: boolean
  /** whether a task may make its worker exit (crashAtTask): never where that worker is the service itself */
  allowsCrashInjection: boolean
  /** whether a workload may block its thread (the db workload's blocking driver) */
  allowsBlockingDriver: boolean
  /**
   * whether it starts its own workers for each job (threads, processes): a warm-up must then run inside those
   * workers (ExecutionPlan.warmup) before the window opens, since a warm-up in workers of their own would warm
   * nothing the measured run uses; other modes' warm-up runs as rounds of tasks before the job (src/jobs/warm-up.ts)
   */
  warmsOwnWorkers: boolean
  /** whether its workers share the service's memory (threads do; child processes each hold their own copy of a job's data) */
  sharesMemory: boolean
  /** memory each worker it starts for a job holds before any task (measured: src/jobs/memory-budget.ts); 0 if it starts none */
  workerMemoryBytes: number
  /**
   * whether a task's input bytes can go with the task from the main thread to where it runs (a workload's shipped
   * input, multiprocessing's pickled arguments); absent: it can
   */
  shipsTaskInput?: boolean
  /** dispatches one of its lanes holds at once: the one it runs plus those sent ahead (default 1) — shipped input in flight */
  dispatchesHeld?: number
  /** whether tasks run on the service's own event loop */
  mainThread: boolean
  /** whether GET /work offers it (one task per request: a mode that starts a worker per job would start one per request) */
  singleTask: boolean
  concurrencyLimit: (config: Config) => ModeLimit
  /** threads or processes a job at this concurrency runs its tasks on (compare's efficiency and Karp–Flatt divide by it) */
  workersFor: (concurrency: number, config: Config) => number
  /** why it cannot run with this config (then it is listed as unavailable and a job in it is a 400); undefined: it can */
  unavailable?: (config: Config) => string | undefined
  /** starts what the mode needs for the app's life (ModeRuntime.engines); only called when it is available */
  startEngine?: (deps: EngineDeps) => Promise<ModeEngine>
  /** its threads or processes alive now (the live-worker metric, /readyz); absent for modes that start none */
  liveWorkers?: (runtime: ModeRuntime) => number
}
