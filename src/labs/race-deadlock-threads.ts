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
import { LabStopped, LabTimedOut, withRetryAfter } from '../errors.js'
import { WorkerGroup, type Member } from '../threads/worker-group.js'
import { threadHandle } from '../threads/worker-handle.js'
import { workerFile } from '../threads/worker-files.js'
import { StartGate } from '../sync/start-gate.js'
import type { LabThreadMessage } from './lab-thread-message.js'

/** N threads of one worker file, each with its own workerData plus the shared `gate`. */
export class LabThreadGroup<Result> {
  readonly gate = StartGate.allocate()
  readonly #group: WorkerGroup<LabThreadMessage<Result>>
  readonly #results = new Map<number, Result>()
  readonly #errors = new Map<number, string>()
  #waiters: Array<() => boolean> = []

  constructor (entry: string, workerData: readonly object[]) {
    this.#group = new WorkerGroup<LabThreadMessage<Result>>('labs', {
      isReady: (message) => message.type === 'ready',
      onMessage: (member, message) => {
        if (message.type === 'result') this.#results.set(member.slot, message.result)
        this.#changed()
      },
      onAllReady: () => this.#changed(),
      onGone: (member, { error }) => {
        this.#errors.set(member.slot, error === undefined ? '' : `: ${error}`)
        this.#changed()
      },
      onAllGone: () => this.#changed()
    })
    this.#group.spawnAll(workerData.length, (slot) => threadHandle(workerFile(entry), { workerData: { ...workerData[slot], gate: this.gate } }))
    // The OS refused a thread (EAGAIN): the group killed the ones already started.
    if (this.#group.spawnFailure) throw this.#group.spawnFailure
  }

  get #members (): Array<Member<LabThreadMessage<Result>>> {
    return this.#group.members
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
    await this.#until(() => this.#members.every((member) => member.ready || member.gone))
    const dead = this.#members.find((member) => !member.ready)
    if (dead) throw new Error(`a lab thread exited before it was ready${this.#errors.get(dead.slot) ?? ''}`)
  }

  /** Lets every thread go at once. */
  start (): void {
    new StartGate(this.gate).open()
  }

  /** Every thread has exited (joined). */
  exited (): Promise<void> {
    return this.#until(() => this.#members.every((member) => member.gone))
  }

  /** Each thread's result in spawn order; throws when one exited without posting it (it crashed). */
  results (): Result[] {
    return this.#members.map((member) => {
      const result = this.#results.get(member.slot)
      if (result === undefined) throw new Error(`lab thread ${member.slot} exited without a result${this.#errors.get(member.slot) ?? ''}`)
      return result
    })
  }

  /** One thread's result, or undefined when it has not posted one (still running, crashed or terminated). */
  result (slot: number): Result | undefined {
    return this.#results.get(slot)
  }

  /** The error a thread died of (an uncaught throw), or undefined. */
  error (slot: number): string | undefined {
    const error = this.#errors.get(slot)
    return error ? error.replace(/^: /, '') : undefined
  }

  /** The slots of the threads that have exited or been terminated so far. */
  gone (): number[] {
    return this.#members.filter((member) => member.gone).map((member) => member.slot)
  }

  get live (): number {
    return this.#group.live.length
  }

  /** Terminates the given threads (default: all) and resolves once they have exited. */
  terminate (slots: readonly number[] = this.#members.map((member) => member.slot)): Promise<void> {
    const members = slots.map((slot) => this.#members[slot]).filter((member) => member !== undefined)
    for (const member of members) this.#group.stop(member)
    return this.#until(() => members.every((member) => member.gone))
  }
}

/**
 * Runs `work` against a deadline and an abort signal. Past the deadline it fails with LAB_TIMED_OUT; either way
 * every thread of the group has exited before this returns or throws.
 */
export async function withinDeadline<T> (group: Pick<LabThreadGroup<unknown>, 'terminate'>, limit: { what: string, ms: number, maxMs: number, signal: AbortSignal }, work: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  let onAbort = () => {}
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new LabTimedOut(limit.what, limit.maxMs, '')), Math.max(limit.ms, 0))
  })
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(withRetryAfter(new LabStopped(limit.what), 5))
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
