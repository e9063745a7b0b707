/**
 * The executor lab: Python's ThreadPoolExecutor lesson — the same tasks collected three ways (map, as-completed,
 * fire-and-forget) on a bounded pool of threads, and what becomes of an exception nobody asks for.
 *
 *   main: the tasks (seeded durations, every failEvery-th throws) ──▶ N pool threads + 1 caller thread, all ready
 *   ──▶ both gates open ──▶ caller: per style, submit all, collect, wait for the pool to drain (executor-styles.ts)
 *   ──▶ every thread has posted its result and exited (joined) ──▶ the report: what the caller saw (order, times,
 *   exceptions seen) beside what the tasks counted (ran, raised)
 *   the whole run: LAB_MAX_MS, then every thread is terminated and the answer is LAB_TIMED_OUT
 */
import { randomUUID } from 'node:crypto'
import type { CallerStyleResult, ExecutorStyle, ExecutorTasks, ExecutorThreadData } from './executor-messages.js'
import { ExecutorQueue } from './executor-queue.js'
import { roundMs } from '../measure/round-ms.js'
import type { ExecutorReport } from './executor-schema.js'
import { LabThreadGroup, withinDeadline } from './race-deadlock-threads.js'
import { seededRandom } from '../workloads/seeded-random.js'

export interface ExecutorOptions {
  workers: number
  styles: ExecutorStyle[]
  durationsMs: number[]
  failEvery: number
  /** listen: the caller thread counts unhandled rejections; default: Node's default, the first one ends it */
  unhandledRejections: 'listen' | 'default'
}

export interface ExecutorLimits {
  /** LAB_MAX_MS: the whole run, thread start-up included */
  maxMs: number
  signal: AbortSignal
}

/** Task durations: given, or `tasks` of them drawn from [minMs, maxMs] with `seed` (whole milliseconds). */
export function taskDurations (spec: { durationsMs?: number[], tasks: number, minMs: number, maxMs: number, seed: number }): number[] {
  if (spec.durationsMs) return spec.durationsMs
  const random = seededRandom(spec.seed, 0)
  return Array.from({ length: spec.tasks }, () => Math.round(spec.minMs + random() * (spec.maxMs - spec.minMs)))
}

/** Every failEvery-th task throws (failEvery 4: tasks 3, 7, 11, …); 0: none. */
export function failingTasks (tasks: number, failEvery: number): boolean[] {
  return Array.from({ length: tasks }, (_, index) => failEvery > 0 && (index + 1) % failEvery === 0)
}

/**
 * How long the pool needs for one style: the tasks in submission order, each to the thread that frees first
 * (what a work queue does). For the up-front check against LAB_MAX_MS.
 */
export function poolMakespanMs (durationsMs: readonly number[], workers: number): number {
  const freeAt: number[] = Array.from({ length: Math.min(workers, durationsMs.length) }, () => 0)
  for (const duration of durationsMs) {
    const soonest = freeAt.indexOf(Math.min(...freeAt))
    freeAt[soonest] = freeAt[soonest]! + duration
  }
  return Math.max(0, ...freeAt)
}

export async function runExecutorLab (options: ExecutorOptions, limits: ExecutorLimits): Promise<ExecutorReport> {
  const { workers, styles, durationsMs } = options
  const tasks: ExecutorTasks = { durationsMs, fails: failingTasks(durationsMs.length, options.failEvery) }
  const queue = ExecutorQueue.allocate(styles.length)
  const listen = options.unhandledRejections === 'listen'
  const data: ExecutorThreadData = { ...tasks, styles, listen, queue, channel: `conclab-executor-lab-${randomUUID()}` }

  const spawnedAt = performance.now()
  const pool = new LabThreadGroup<{ tasksRun: number }>('lab-executor-pool-entry', Array.from({ length: workers }, () => data))
  let caller: LabThreadGroup<CallerStyleResult[]>
  try {
    caller = new LabThreadGroup<CallerStyleResult[]>('lab-executor-entry', [data])
  } catch (error) {
    await pool.terminate()
    throw error
  }
  let startupMs = 0
  let ms = 0
  const both = { terminate: () => Promise.all([pool.terminate(), caller.terminate()]).then(() => {}) }
  await withinDeadline(both, { what: 'executor lab', ms: limits.maxMs, maxMs: limits.maxMs, signal: limits.signal }, async () => {
    await Promise.all([pool.ready(), caller.ready()])
    startupMs = performance.now() - spawnedAt
    const startedAt = performance.now()
    // The caller subscribed to the channel before it said ready: no completion can be posted before it listens.
    pool.start()
    caller.start()
    await caller.exited()
    // A caller ended by an unhandled rejection submits nothing more: the pool threads would wait for its next style.
    if (caller.error(0) !== undefined) await pool.terminate()
    else await pool.exited()
    ms = performance.now() - startedAt
  })

  const died = caller.error(0)
  // With a listener the caller never dies: if it did, that is a bug, and results() names its error.
  const seen = listen ? caller.results()[0]! : caller.result(0) ?? []
  if (died === undefined) pool.results()
  const counts = new ExecutorQueue(queue)
  return {
    workers,
    tasks: durationsMs.length,
    durationsMs,
    failing: tasks.fails.flatMap((fails, index) => fails ? [index] : []),
    styles: seen.map((style, number) => {
      const { started, raised } = counts.read(number)
      return { ...style, exceptionsRaised: raised, exceptionsLost: raised - style.exceptionsSeen, tasksRun: started, cancelled: durationsMs.length - started }
    }),
    callerDied: died === undefined ? null : { style: styles[seen.length]!, error: died },
    startupMs: roundMs(startupMs),
    ms: roundMs(ms)
  }
}
