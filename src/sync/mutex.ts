/**
 * A mutex in shared memory, for threads of one process (Atomics on an Int32Array over a SharedArrayBuffer).
 *
 *   cells[0] = 0 free, 1 held
 *
 * lock:    swap 0 → 1 with compareExchange; if it was held, sleep on cells[0] while it is still 1 (Atomics.wait), then
 *          try again — a wake-up only says "it changed", another thread may win.
 * unlock:  store 0 and wake one sleeper. No wake-up is lost: a sleeper only sleeps while the cell is still 1, and every
 *          unlock both changes the cell and notifies.
 * tryLock: the same with a deadline; false when the deadline passes (the deadlock lab's back-off strategy).
 * Not reentrant, no owner check: a thread that unlocks a mutex it does not hold breaks it, as with a raw futex.
 */
export class SharedMutex {
  readonly #cells: Int32Array

  constructor (buffer: SharedArrayBuffer, byteOffset = 0) {
    this.#cells = new Int32Array(buffer, byteOffset, 1)
  }

  static allocate (): SharedArrayBuffer {
    return new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT)
  }

  lock (): void {
    while (Atomics.compareExchange(this.#cells, 0, 0, 1) !== 0) Atomics.wait(this.#cells, 0, 1)
  }

  /** true when locked within `timeoutMs`. */
  tryLock (timeoutMs: number): boolean {
    const deadline = performance.now() + timeoutMs
    while (Atomics.compareExchange(this.#cells, 0, 0, 1) !== 0) {
      const left = deadline - performance.now()
      if (left <= 0) return false
      Atomics.wait(this.#cells, 0, 1, left)
    }
    return true
  }

  unlock (): void {
    Atomics.store(this.#cells, 0, 0)
    Atomics.notify(this.#cells, 0, 1)
  }

  get locked (): boolean {
    return Atomics.load(this.#cells, 0) === 1
  }
}
