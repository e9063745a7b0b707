import { setTimeout as sleep } from 'node:timers/promises'
import type { Worker } from 'node:worker_threads'
import type { FastifyBaseLogger } from 'fastify'
import type { Config } from '../config.js'
import { spawnThread, workerFile } from '../threads/worker-files.js'
import type { UpstreamListening, UpstreamWorkerData } from './upstream-messages.js'

/** `up` or `down` for the built-in thread; `external` for UPSTREAM_URL, which the service does not check. */
export type UpstreamState = 'up' | 'down' | 'external'

export interface Upstream {
  /** the base URL the jobs call; it stays valid across restarts (the thread is restarted on the same port) */
  readonly url: string
  readonly state: UpstreamState
  /** the built-in upstream's live thread, undefined while it is down (tests terminate it to check the restart) */
  readonly thread: Worker | undefined
  close: () => Promise<void>
}

type Limits = Pick<Config, 'SIM_MAX_DELAY_MS' | 'SIM_MAX_BYTES'>
type Log = Pick<FastifyBaseLogger, 'info' | 'warn' | 'error'>

/** Backoff between attempts to re-bind the port: doubled after each failure, up to the maximum. */
export const RESTART_FIRST_DELAY_MS = 50
export const RESTART_MAX_DELAY_MS = 5_000

/**
 * The built-in latency upstream in its own thread. If the thread dies (an uncaught exception, or terminated), it
 * is started again on the same port, with backoff while the port cannot be bound; `state` is `down` until then.
 *
 *   start(): spawn(port 0) ─▶ { port } ─▶ up
 *   'exit' (not closing) ─▶ down ─▶ spawn(port) ─┬─▶ { port } ─▶ up
 *                                                └─▶ exit before listening ─▶ wait 50 ms, 100 ms, … 5 s ─▶ spawn(port)
 */
class UpstreamThread implements Upstream {
  readonly #limits: Limits
  readonly #log: Log
  #port = 0
  #worker: Worker | undefined
  /** a thread started that does not listen yet */
  #starting: Worker | undefined
  #closing = false
  readonly #stop = new AbortController()
  #restarting: Promise<void> | undefined

  constructor (limits: Limits, log: Log) {
    this.#limits = limits
    this.#log = log
  }

  get url (): string {
    return `http://127.0.0.1:${this.#port}`
  }

  get state (): UpstreamState {
    return this.#worker ? 'up' : 'down'
  }

  get thread (): Worker | undefined {
    return this.#worker
  }

  async start (): Promise<void> {
    this.#worker = await this.#spawn(0)
  }

  async close (): Promise<void> {
    this.#closing = true
    this.#stop.abort()
    this.#starting?.terminate().catch(() => {}) // a restart under way ends at once rather than once it listens
    await this.#restarting
    const worker = this.#worker
    this.#worker = undefined
    await worker?.terminate()
  }

  /** Starts a thread listening on `port` (0: any); rejects if the thread ends before it listens. */
  #spawn (port: number): Promise<Worker> {
    const workerData: UpstreamWorkerData = { SIM_MAX_DELAY_MS: this.#limits.SIM_MAX_DELAY_MS, SIM_MAX_BYTES: this.#limits.SIM_MAX_BYTES, port }
    const worker = spawnThread(workerFile('upstream-entry'), { workerData })
    this.#starting = worker
    return new Promise<Worker>((resolve, reject) => {
      let failure: Error | undefined
      let listening = false
      // Always listened to: an 'error' event with no listener would end the whole process.
      worker.on('error', (error) => {
        if (listening) this.#log.error({ err: error, port: this.#port }, 'upstream thread failed')
        else failure = error
      })
      worker.once('exit', (code) => {
        if (listening) this.#exited(worker, code)
        else reject(failure ?? new Error(`upstream thread exited with code ${code} before listening on port ${port}`))
      })
      worker.once('message', (message: UpstreamListening) => {
        listening = true
        this.#port = message.port
        resolve(worker)
      })
    }).finally(() => { this.#starting = undefined })
  }

  #exited (worker: Worker, code: number): void {
    if (worker !== this.#worker || this.#closing) return
    this.#worker = undefined
    this.#log.warn({ code, port: this.#port }, 'upstream thread exited: restarting it on the same port')
    this.#restarting = this.#restart().finally(() => { this.#restarting = undefined })
  }

  async #restart (): Promise<void> {
    let delayMs = RESTART_FIRST_DELAY_MS
    while (!this.#closing) {
      try {
        const worker = await this.#spawn(this.#port)
        if (this.#closing) {
          await worker.terminate()
          return
        }
        this.#worker = worker
        this.#log.info({ port: this.#port }, 'upstream thread restarted')
        return
      } catch (error) {
        if (this.#closing) return
        this.#log.warn({ err: error, port: this.#port, retryInMs: delayMs }, 'upstream thread could not restart')
      }
      try {
        await sleep(delayMs, undefined, { signal: this.#stop.signal })
      } catch {
        return // closing
      }
      delayMs = Math.min(delayMs * 2, RESTART_MAX_DELAY_MS)
    }
  }
}

/** Starts the built-in latency upstream in its own thread and resolves once it listens on its loopback port. */
export async function startUpstreamThread (limits: Limits, log: Log): Promise<Upstream> {
  const upstream = new UpstreamThread(limits, log)
  await upstream.start()
  return upstream
}

/** The upstream the net workload calls: UPSTREAM_URL when set (never checked), else the built-in thread. */
export async function startUpstream (config: Config, log: Log): Promise<Upstream> {
  if (config.UPSTREAM_URL) {
    return { url: config.UPSTREAM_URL.replace(/\/+$/, ''), state: 'external', thread: undefined, close: async () => {} }
  }
  return startUpstreamThread(config, log)
}
