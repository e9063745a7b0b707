/**
 * What the chaos test kills, and how it finds each one from outside the service (no product hook):
 * - pool threads: piscina's own list (`pool.piscina.threads`), terminated;
 * - a threads job's own threads: every Worker is announced on Node's `worker_threads` diagnostics channel as it is
 *   constructed; one whose constructor was called from the threads executor (its stack) is a job thread until its
 *   'exit' (the upstream's and piscina's threads come from elsewhere);
 * - child processes: the OS's list of this process's children (childPids()), SIGKILLed;
 * - the net workload's upstream thread (`upstream.thread`), or the one that restarts it while it is down (seen on
 *   the same channel, started from upstream-thread.ts), terminated: it restarts itself on the same port.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { readFileSync } from 'node:fs'
import type { Worker } from 'node:worker_threads'
import type { FastifyInstance } from 'fastify'
import { childPids } from './app.js'

export const KILL_KINDS = ['pool thread', 'job thread', 'child', 'upstream'] as const
export type KillKind = typeof KILL_KINDS[number]

export interface Kill {
  /** ms since the chaos began */
  atMs: number
  kind: KillKind
  /** which one: `thread <id>`, `pid <pid>` (and what state the pool or the upstream was in) */
  target: string
}

/** Who constructed a Worker: found in the constructor's stack. */
const ORIGINS = { job: /src[\\/]executors[\\/]threads\.[jt]s/, upstream: /src[\\/]upstream[\\/]upstream-thread\.[jt]s/ }
type Origin = keyof typeof ORIGINS

function originOfNewWorker (): Origin | undefined {
  const limit = Error.stackTraceLimit
  Error.stackTraceLimit = 64
  const stack = new Error('where').stack ?? ''
  Error.stackTraceLimit = limit
  return (Object.keys(ORIGINS) as Origin[]).find((origin) => ORIGINS[origin].test(stack))
}

/** The live Worker objects of threads jobs and of the upstream, from the moment each is constructed until its 'exit'. */
export class ServiceThreads {
  readonly #live: Record<Origin, Set<Worker>> = { job: new Set(), upstream: new Set() }
  /** job threads seen, live or not */
  jobThreadsStarted = 0
  readonly #onWorker = (message: unknown): void => {
    const origin = originOfNewWorker()
    if (!origin) return
    const { worker } = message as { worker: Worker }
    if (origin === 'job') this.jobThreadsStarted++
    this.#live[origin].add(worker)
    worker.once('exit', () => this.#live[origin].delete(worker))
  }

  constructor () {
    subscribe('worker_threads', this.#onWorker)
  }

  /** live threads of threads jobs (or of the upstream), not yet terminated */
  live (origin: Origin): Worker[] {
    return [...this.#live[origin]].filter((worker) => worker.threadId >= 0)
  }

  close (): void {
    unsubscribe('worker_threads', this.#onWorker)
  }
}

/** Kills one target of `kind`; undefined when there is none of that kind right now. */
export function killOne (app: FastifyInstance, threads: ServiceThreads, kind: KillKind, pick: <T>(items: readonly T[]) => T): string | undefined {
  const { pool, upstream } = app.lab
  const terminate = (worker: Worker, note = '') => {
    const id = worker.threadId
    worker.terminate().catch(() => {})
    return `thread ${id}${note}`
  }
  switch (kind) {
    case 'pool thread': {
      const all = pool.piscina.threads
      if (all.length === 0) return undefined
      return terminate(pick(all), ` (pool: ${all.length} threads, ${pool.readyThreads} ready)`)
    }
    case 'job thread': {
      const live = threads.live('job')
      return live.length === 0 ? undefined : terminate(pick(live))
    }
    case 'child': {
      const pids = childPids()
      if (pids.length === 0) return undefined
      const pid = pick(pids)
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        return undefined // it had just exited
      }
      return `pid ${pid}`
    }
    case 'upstream': {
      // The serving thread, or (while it is down) the one starting to replace it.
      const serving = upstream.thread
      if (serving) return terminate(serving, ' (serving)')
      const starting = threads.live('upstream')
      return starting.length === 0 ? undefined : terminate(pick(starting), ' (restarting)')
    }
  }
}

/** OS threads of this process (/proc/self/status), the service's threads among them. */
export function osThreadCount (): number {
  const match = /^Threads:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))
  return Number(match?.[1] ?? Number.NaN)
}
