/**
 * A reentrant mutex in shared memory (Python's threading.RLock), for threads of one process.
 *
 *   cells[OWNER] = 0 free, else the owner's id + 1       cells[COUNT] = how many times the owner holds it
 *
 * lock:    if OWNER is already us, COUNT + 1 and return: the owner takes it again without blocking (a plain Lock
 *          would wait for itself forever). Otherwise swap OWNER 0 → us with compareExchange; while someone else holds
 *          it, sleep on OWNER while it is unchanged (Atomics.wait), then try again. Once ours, COUNT = 1.
 * unlock:  only the owner may: anyone else gets an error (CPython: RuntimeError "cannot release un-acquired lock"),
 *          and the mutex is left as it was. COUNT − 1; at 0 store OWNER = 0 and wake one sleeper. COUNT is written
 *          only by the owner, and set to 0 before OWNER is cleared, so the next owner starts from 0.
 * No wake-up is lost: a sleeper sleeps only while OWNER still holds the value it saw, and the release changes
 * OWNER and notifies.
 */
const OWNER = 0
const COUNT = 1

/** Python's RuntimeError of RLock.release() by a thread that does not hold it. */
export function notOwnerError (self: number, owner: number | null): Error {
  const holder = owner === null ? 'nobody holds it' : `worker ${owner} holds it`
  return new Error(`cannot release un-acquired lock: worker ${self} is not the owner (${holder})`)
}

export class SharedReentrantMutex {
  static readonly CELLS = 2
  readonly #cells: Int32Array
  readonly #self: number

  /** `self`: this thread's id (≥ 0), stored as self + 1 so 0 means free. */
  constructor (buffer: SharedArrayBuffer, self: number, byteOffset = 0) {
    this.#cells = new Int32Array(buffer, byteOffset, SharedReentrantMutex.CELLS)
    this.#self = self + 1
  }

  static allocate (): SharedArrayBuffer {
    return new SharedArrayBuffer(SharedReentrantMutex.CELLS * Int32Array.BYTES_PER_ELEMENT)
  }

  lock (): void {
    if (Atomics.load(this.#cells, OWNER) === this.#self) {
      Atomics.add(this.#cells, COUNT, 1)
      return
    }
    for (;;) {
      const seen = Atomics.compareExchange(this.#cells, OWNER, 0, this.#self)
      if (seen === 0) break
      Atomics.wait(this.#cells, OWNER, seen)
    }
    Atomics.store(this.#cells, COUNT, 1)
  }

  /** Throws notOwnerError when this thread does not hold it; the mutex is unchanged then. */
  unlock (): void {
    const owner = Atomics.load(this.#cells, OWNER)
    if (owner !== this.#self) throw notOwnerError(this.#self - 1, owner === 0 ? null : owner - 1)
    if (Atomics.sub(this.#cells, COUNT, 1) > 1) return
    Atomics.store(this.#cells, OWNER, 0)
    Atomics.notify(this.#cells, OWNER, 1)
  }

  /** The owner's id, or null when free. */
  get owner (): number | null {
    const owner = Atomics.load(this.#cells, OWNER)
    return owner === 0 ? null : owner - 1
  }

  get count (): number {
    return Atomics.load(this.#cells, COUNT)
  }
}
