/**
 * A counting semaphore in shared memory, usable from the main thread and from every worker thread of a job:
 * the db workload's connection pool.
 *
 *   cells[0] = free permits
 *
 * acquire: read the count; if it is > 0, try to swap it for count − 1 (compareExchange). If another thread changed
 *   it first, retry with the value it saw. If it is 0, sleep on cells[0] while it is still 0 (Atomics.wait blocks
 *   the thread, the way a synchronous driver does; Atomics.waitAsync parks a promise and leaves the event loop
 *   free). A wake-up only means "the count changed": loop and try again, since another thread may win the permit.
 * release: add 1 and wake one sleeper. No wake-up is lost: a sleeper only sleeps while the count is still 0, and
 *   every release both changes the count and notifies.
 */
type WaitAsyncResult = { async: false, value: string } | { async: true, value: Promise<string> }
const waitAsync = (Atomics as unknown as {
  waitAsync: (array: Int32Array, index: number, value: number) => WaitAsyncResult
}).waitAsync

export class SharedSemaphore {
  readonly #cells: Int32Array

  constructor (buffer: SharedArrayBuffer) {
    this.#cells = new Int32Array(buffer)
  }

  static allocate (permits: number): SharedArrayBuffer {
    const buffer = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT)
    new Int32Array(buffer)[0] = permits
    return buffer
  }

  tryAcquire (): boolean {
    let seen = Atomics.load(this.#cells, 0)
    while (seen > 0) {
      const before = Atomics.compareExchange(this.#cells, 0, seen, seen - 1)
      if (before === seen) return true
      seen = before
    }
    return false
  }

  acquireBlocking (): void {
    while (!this.tryAcquire()) Atomics.wait(this.#cells, 0, 0)
  }

  async acquire (): Promise<void> {
    while (!this.tryAcquire()) {
      const wait = waitAsync(this.#cells, 0, 0)
      if (wait.async) await wait.value
    }
  }

  release (): void {
    Atomics.add(this.#cells, 0, 1)
    Atomics.notify(this.#cells, 0, 1)
  }
}
