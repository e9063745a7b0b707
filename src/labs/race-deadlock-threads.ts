/**
 * The threads of one race or deadlock lab run: started together, joined, or terminated — never left behind.
 *
 *   main: spawn N ──workerData + gate──▶ each thread: loads, posts 'ready', sleeps on the gate cell (Atomics.wait)
 *   main: every thread ready ──▶ gate.open(): store 1, notify all ──▶ the threads wake within microseconds of each
 *         other and run their loops at the same time (a message 'go' would reach them one by one)
 *   thread: posts 'result' and returns; with nothing left on its event loop it exits ──▶ main: 'exit' (joined)
 *   main: past the deadline, on abort (the service closes) or after a run: terminate() what is still alive
 *
 * A thread blocked in Atomics.wait (a deadlocked lock, the gate) is still terminated: Worker.terminate()
 * interrupts the wait.
 */
import type { Worker } from 'node:worker_threads'
import { LabStopped, LabTimedOut } from '../errors.js'
import { spawnThread, workerFile } from '../executors/worker-files.js'
import { StartGate, type LabThreadMessage } from './race-deadlock-gate.js'

let liveThreads = 0

/** Race and deadlock lab threads that have been spawned and have not emitted 'exit' yet (0 between runs). */
export function liveLabThreads (): number {
  return liveThreads
}

interface Member<Result> {
  worker: Worker
  ready: boolean
  result: Result | undefined
  exited: boolean
  error: string
}

/** N threads of one worker file, each with its own workerData plus the shared `gate`. */
export class LabThreadGroup<Result> {
  readonly gate = StartGate.allocate()
  readonly #members: Array<Member<Result>> = []
  #waiters: Array<() => boolean> = []

  constructor (entry: string, workerData: readonly object[]) {
    try {
      for (const data of workerData) this.#spawn(entry, { ...data, gate: this.gate })
    } catch (error) {
      // The OS refused a thread (EAGAIN): do not leave the ones already started behind.
      this.terminate().catch(() => {})
      throw error
    }
  }

  #spawn (entry: string, workerData: object): void {
    const worker = spawnThread(workerFile(entry), { workerData })
    liveThreads++
    const member: Member<Result> = { worker, ready: false, result: undefined, exited: false, error: '' }
    this.#members.push(member)
    worker.on('message', (message: LabThreadMessage<Result>) => {
      if (message.type === 'ready') member.ready = true
      else member.result = message.result
      this.#changed()
    })
    worker.on('error', (error) => { member.error = `: ${error.message}` })
    worker.on('exit', () => {
      member.exited = true
      liveThreads--
      this.#changed()
    })
  }

  #changed (): void {
    this.#waiters = this.#waiters.filter((check) => !check())
  }

  /** Resolves once `done()` holds, checked now and after every message and exit. */
  #until (done: () => boolean): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (!done()) return false
        resolve()
        return true
      }
      if (!check()) this.#waiters.push(check)
    })
  }

  /** Every thread has loaded and is waiting at the gate; throws when one died instead (e.g. a bad entry file). */
  async ready (): Promise<void> {
    await this.#until(() => this.#members.every((member) => member.ready || member.exited))
    const dead = this.#members.find((member) => !member.ready)
    if (dead) throw new Error(`a lab thread exited before it was ready${dead.error}`)
  }

  /** Lets every thread go at once. */
  start (): void {
    new StartGate(this.gate).open()
  }

  /** Every thread has exited (joined). */
  exited (): Promise<void> {
    return this.#until(() => this.#members.every((member) => member.exited))
  }

  /** Each thread's result in spawn order; throws when one exited without posting it (it crashed). */
  results (): Result[] {
    return this.#members.map((member, slot) => {
      if (member.result === undefined) throw new Error(`lab thread ${slot} exited without a result${member.error}`)
      return member.result
    })
  }

  get live (): number {
    return this.#members.filter((member) => !member.exited).length
  }

  /** Terminates the given threads (default: all) and resolves once they have exited. */
  terminate (slots: readonly number[] = this.#members.map((_, slot) => slot)): Promise<void> {
    const members = slots.map((slot) => this.#members[slot]).filter((member) => member !== undefined)
    for (const member of members) if (!member.exited) member.worker.terminate().catch(() => {})
    return this.#until(() => members.every((member) => member.exited))
  }
}

/**
 * Runs `work` against a deadline and an abort signal. Past the deadline it fails with LAB_TIMED_OUT; either way
 * every thread of the group has exited before this returns or throws.
 */
export async function withinDeadline<T> (group: LabThreadGroup<unknown>, limit: { what: string, ms: number, maxMs: number, signal: AbortSignal }, work: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  let onAbort = () => {}
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new LabTimedOut(limit.what, limit.maxMs, '')), Math.max(limit.ms, 0))
  })
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(new LabStopped(limit.what))
    if (limit.signal.aborted) onAbort()
    else limit.signal.addEventListener('abort', onAbort, { once: true })
  })
  try {
    return await Promise.race([work(), expired, aborted])
  } finally {
    clearTimeout(timer)
    limit.signal.removeEventListener('abort', onAbort)
    await group.terminate()
  }
}
