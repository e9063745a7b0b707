/**
 * The thread side of a race or deadlock lab run (kept apart from race-deadlock-threads.ts so a thread loads
 * nothing it does not use): the start gate and the messages a thread posts.
 */

/** What a lab thread posts to the main thread: 'ready' once it waits at the gate, then its result. */
export type LabThreadMessage<Result> = { type: 'ready' } | { type: 'result', result: Result }

/**
 * One Int32 cell: 0 closed, 1 open. Threads sleep on it while it is 0; open() stores 1 and wakes them all.
 * A thread that arrives after open() sees 1 and does not sleep, so no wake-up is lost.
 */
export class StartGate {
  readonly #cells: Int32Array

  constructor (buffer: SharedArrayBuffer) {
    this.#cells = new Int32Array(buffer, 0, 1)
  }

  static allocate (): SharedArrayBuffer {
    return new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT)
  }

  open (): void {
    Atomics.store(this.#cells, 0, 1)
    Atomics.notify(this.#cells, 0)
  }

  /** Thread side only (the main thread must never block): sleep until the gate opens. */
  pass (): void {
    while (Atomics.load(this.#cells, 0) === 0) Atomics.wait(this.#cells, 0, 0)
  }
}
