/**
 * What the executor lab's threads share: the caller thread (workers/lab-executor-entry.ts — the program that
 * submits, Python's main thread) and the pool threads (workers/lab-executor-pool-entry.ts — the executor's workers).
 *
 *   main: spawns N pool threads + 1 caller thread (LabThreadGroup) ──▶ all ready ──▶ opens both gates
 *   caller: per style, submit every task (ExecutorQueue.submit) ──▶ pool threads take them in order, sleep, return
 *           or throw ──'completion' on the run's BroadcastChannel──▶ caller settles that task's promise
 *   caller ──'result' (what it collected, per style)──▶ main; pool threads ──'result' (tasks run)──▶ main
 */
import type { ExecutorStyleReport } from './executor-schema.js'

export const EXECUTOR_STYLES = ['map', 'as-completed', 'fire-and-forget'] as const
export type ExecutorStyle = typeof EXECUTOR_STYLES[number]

/** The tasks of a run, the same for every style (and for the Python original). */
export interface ExecutorTasks {
  /** task i sleeps durationsMs[i] */
  durationsMs: number[]
  /** task i throws after its sleep when fails[i] */
  fails: boolean[]
}

export interface ExecutorThreadData extends ExecutorTasks {
  styles: ExecutorStyle[]
  /** the caller thread listens for 'unhandledRejection' (and counts); false: Node's default, the first one ends it */
  listen: boolean
  /** ExecutorQueue's cells (executor-queue.ts) */
  queue: SharedArrayBuffer
  /** the BroadcastChannel completions travel on, one per run */
  channel: string
}

/** A pool thread → the caller: task `index` of style number `style` has returned or thrown. */
export type Completion = { style: number, index: number, ok: true, value: TaskValue } | { style: number, index: number, ok: false, error: string }

/** What a task returns. */
export interface TaskValue {
  index: number
  sleptMs: number
}

/**
 * What the caller collected with one style: the report's style figures except those main counts from the shared
 * queue cells once every thread has exited (what ran, what raised, and what follows from them).
 */
export type CallerStyleResult = Omit<ExecutorStyleReport, 'exceptionsRaised' | 'exceptionsLost' | 'tasksRun' | 'cancelled'>
