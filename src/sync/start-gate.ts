/** The start gate of a race or deadlock lab run: every thread sleeps on it until the main thread opens it. */

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
