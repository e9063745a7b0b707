/**
 * A first-come-first-served counting semaphore in shared memory, usable from the main thread and from every worker
 * thread of a job: the db workload's connection pool.
 *
 *   cells[TICKETS]  tickets handed out so far       cells[RELEASED]  permits given back so far
 *   cells[PERMITS]  the pool's size
 *
 * acquire: take ticket t = TICKETS++ (Atomics.add: each caller its own number, in arrival order). The caller may go
 *   once t < RELEASED + PERMITS: the first PERMITS tickets at once, then ticket t when the (t − PERMITS + 1)-th
 *   permit has come back. Until then it sleeps on cells[RELEASED] while that still holds the value it read
 *   (Atomics.wait blocks the thread, as a synchronous driver does; Atomics.waitAsync parks a promise and leaves the
 *   event loop free), then reads again.
 * release: RELEASED++ and wake every sleeper; the one whose ticket is now in range goes, the others sleep again.
 *   No wake-up is lost: a sleeper only sleeps while RELEASED still holds the value it read, and every release
 *   changes it and notifies.
 *
 * Why tickets: with a plain count, a newcomer could take a permit freed while older waiters were still waking,
 * so with 50 queries in flight on 20 connections some waited 0 ms and others half a second (p99 509 ms where
 * first-come-first-served gives ≈ 15 ms each) — not what a real pool's queue does.
 */
type WaitAsyncResult = { async: false, value: string } | { async: true, value: Promise<string> }
const waitAsync = (Atomics as unknown as {
  waitAsync: (array: Int32Array, index: number, value: number) => WaitAsyncResult
}).waitAsync

const TICKETS = 0
const RELEASED = 1
const PERMITS = 2

export class SharedSemaphore {
  readonly #cells: Int32Array

  constructor (buffer: SharedArrayBuffer) {
    this.#cells = new Int32Array(buffer)
  }

  static allocate (permits: number): SharedArrayBuffer {
    const buffer = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT * 3)
    new Int32Array(buffer)[PERMITS] = permits
    return buffer
  }

  #mayGo (ticket: number, released: number): boolean {
    return ticket < released + Atomics.load(this.#cells, PERMITS)
  }

  acquireBlocking (): void {
    const ticket = Atomics.add(this.#cells, TICKETS, 1)
    for (let released = Atomics.load(this.#cells, RELEASED); !this.#mayGo(ticket, released); released = Atomics.load(this.#cells, RELEASED)) {
      Atomics.wait(this.#cells, RELEASED, released)
    }
  }

  async acquire (): Promise<void> {
    const ticket = Atomics.add(this.#cells, TICKETS, 1)
    let keepAlive: NodeJS.Timeout | undefined
    try {
      for (let released = Atomics.load(this.#cells, RELEASED); !this.#mayGo(ticket, released); released = Atomics.load(this.#cells, RELEASED)) {
        // A pending waitAsync does not keep an event loop alive: a worker thread with nothing else to do would
        // exit mid-wait (code 0, task lost). A timer holds it while it waits.
        keepAlive ??= setInterval(() => {}, 2 ** 30)
        const wait = waitAsync(this.#cells, RELEASED, released)
        if (wait.async) await wait.value
      }
    } finally {
      clearInterval(keepAlive)
    }
  }

  release (): void {
    Atomics.add(this.#cells, RELEASED, 1)
    Atomics.notify(this.#cells, RELEASED)
  }
}
