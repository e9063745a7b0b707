import type { Worker } from 'node:worker_threads'
import { Gil, type GilShared } from '../sync/gil.js'
import { spawnThread, workerFile } from '../threads/worker-files.js'
import { CONTROL_CELLS, ProbeState, STATE, type ProbeToRunner, type ProbeWorkerData } from './io-probe-protocol.js'
import type { IoProbeSpec } from './io-probe-schema.js'
import { LatencyStats } from './latency-stats.js'
import type { IoProbeReport } from './report-schema.js'

/** Longest the probe thread may take to load (tsx compiles it on first use) or to answer after STOPPED. */
const READY_MS = 10_000
const ANSWER_MS = 1000
/** After this long without an answer the probe is taken to wait for a lock whose holder was terminated: it is freed. */
const STUCK_MS = 100

export interface StoppedProbe {
  report: IoProbeReport | null
  /** why there is no report: the probe could not take the lock back after the run (a holder was stopped mid-task) */
  warning?: string
}

/**
 * The I/O probe of one job (spec.ioProbe): a thread in this process that shares the job's emulated GIL, started
 * before the job's window and stopped after it (workers/io-probe-entry.ts has the round it times).
 *
 * It shares the lock the job context carries in this process, and only that one: in threads, pool, inline and
 * async the tasks run under it; a child process (processes) or another replica (cluster) has a lock of its own,
 * so there the probe waits for no one — the multiprocessing lesson, measured rather than special-cased.
 */
export class IoProbe {
  readonly #worker: Worker
  readonly #control = new Int32Array(new SharedArrayBuffer(CONTROL_CELLS * Int32Array.BYTES_PER_ELEMENT))
  readonly #spec: IoProbeSpec
  readonly #gil: GilShared | undefined
  readonly #ready: Promise<void>
  readonly #result: Promise<ProbeToRunner & { type: 'result' }>
  #stopped: Promise<StoppedProbe> | undefined

  private constructor (spec: IoProbeSpec, gil: GilShared | undefined) {
    this.#spec = spec
    this.#gil = gil
    const data: ProbeWorkerData = { intervalMs: spec.intervalMs, ioMs: spec.ioMs, control: this.#control.buffer as SharedArrayBuffer }
    if (gil) data.gil = gil
    this.#worker = spawnThread(workerFile('io-probe-entry'), { workerData: data })
    const gone = new Promise<never>((_resolve, reject) => {
      this.#worker.once('error', reject)
      this.#worker.once('exit', (code) => reject(new Error(`the I/O probe thread exited with code ${code}`)))
    })
    const reply = (type: ProbeToRunner['type']) => new Promise<ProbeToRunner>((resolve) => {
      this.#worker.on('message', (message: ProbeToRunner) => { if (message.type === type) resolve(message) })
    })
    this.#ready = Promise.race([reply('ready'), gone]).then(() => {})
    this.#result = Promise.race([reply('result'), gone]) as Promise<ProbeToRunner & { type: 'result' }>
    // Read later (start, stop): an early exit must not be an unhandled rejection meanwhile.
    this.#ready.catch(() => {})
    this.#result.catch(() => {})
  }

  /** Starts the probe thread and resolves once it runs its rounds (not yet timed). */
  static async start (spec: IoProbeSpec, gil: GilShared | undefined): Promise<IoProbe> {
    const probe = new IoProbe(spec, gil)
    // Terminated, it exits, and #ready rejects.
    const loading = setTimeout(() => { probe.#worker.terminate().catch(() => {}) }, READY_MS)
    try {
      await probe.#ready
    } catch (error) {
      await probe.#worker.terminate()
      throw error
    } finally {
      clearTimeout(loading)
    }
    return probe
  }

  /** The job's window marks, wrapped: rounds are timed from `started` to `ended`, as wallMs covers. */
  within (window: { started: () => void, ended: () => void }): { started: () => void, ended: () => void } {
    return {
      started: () => { Atomics.store(this.#control, STATE, ProbeState.COUNTING); window.started() },
      ended: () => { window.ended(); Atomics.store(this.#control, STATE, ProbeState.PAUSED) }
    }
  }

  /** Stops the thread (always: it never outlives the job) and summarises its timed rounds; the same answer if called again. */
  stop (): Promise<StoppedProbe> {
    this.#stopped ??= this.#stop()
    return this.#stopped
  }

  async #stop (): Promise<StoppedProbe> {
    Atomics.store(this.#control, STATE, ProbeState.STOPPED)
    Atomics.notify(this.#control, STATE)
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<undefined>((resolve) => { timer = setTimeout(() => resolve(undefined), ANSWER_MS) })
    // A cancelled job's threads may have been terminated holding the lock, which the probe then waits for forever.
    // Its run is over (only the probe still uses the lock): free it, so the probe finishes its round and answers.
    const gil = this.#gil
    const unstick = gil?.buffer ? setTimeout(() => Gil.abandon(gil.buffer!), STUCK_MS) : undefined
    try {
      const result = await Promise.race([this.#result, late]).catch(() => undefined)
      if (!result) {
        return { report: null, warning: `ioProbe: the probe thread did not answer within ${ANSWER_MS} ms of the run's end; its rounds are lost` }
      }
      const latency = LatencyStats.from(result.latency)
      return {
        report: {
          intervalMs: this.#spec.intervalMs,
          ioMs: this.#spec.ioMs,
          samples: latency.count,
          latencyMs: latency.summary(),
          gilWaitMs: LatencyStats.from(result.gilWait).summary()
        }
      }
    } finally {
      clearTimeout(timer)
      clearTimeout(unstick)
      await this.#worker.terminate()
    }
  }
}
