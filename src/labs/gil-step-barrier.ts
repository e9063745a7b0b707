/**
 * The GIL lab's step barrier: its threads run every part in turn, and no part starts before every thread is done
 * with the one before (a part measures its own threads only). Two Int32 cells in shared memory:
 *
 *   cells[ARRIVED]    threads at the barrier in this generation
 *   cells[GENERATION] bumped by the last thread to arrive, which wakes the others
 *
 * arrive(): add 1 to ARRIVED; the last one resets it to 0, then bumps GENERATION and notifies; every other thread
 * sleeps on GENERATION while it still reads the value it saw before arriving (a bump in between: it does not sleep).
 * Thread side only: it blocks.
 */
const ARRIVED = 0
const GENERATION = 1

export class StepBarrier {
  readonly #cells: Int32Array
  readonly #parties: number

  constructor (buffer: SharedArrayBuffer, parties: number) {
    this.#cells = new Int32Array(buffer, 0, 2)
    this.#parties = parties
  }

  static allocate (): SharedArrayBuffer {
    return new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT)
  }

  arrive (): void {
    const generation = Atomics.load(this.#cells, GENERATION)
    if (Atomics.add(this.#cells, ARRIVED, 1) === this.#parties - 1) {
      Atomics.store(this.#cells, ARRIVED, 0)
      Atomics.add(this.#cells, GENERATION, 1)
      Atomics.notify(this.#cells, GENERATION)
      return
    }
    while (Atomics.load(this.#cells, GENERATION) === generation) Atomics.wait(this.#cells, GENERATION, generation)
  }
}
