/**
 * A bounded FIFO of int32 values in one SharedArrayBuffer, for worker threads of one process: Python's
 * `queue.Queue(maxsize)` built from a mutex and two condition variables.
 *
 *   Int32 cells:  0 MUTEX | 1 NOT_FULL | 2 NOT_EMPTY | 3 HEAD | 4 TAIL | 5 COUNT | 6 CAPACITY | 7 MAX_DEPTH
 *                 | 8 STOP | 9 UNFINISHED | 10 … 10+capacity−1 SLOTS (a ring: put writes SLOTS[TAIL], take reads SLOTS[HEAD])
 *
 * HEAD, TAIL, COUNT and MAX_DEPTH change only under the mutex (SharedMutex, cell 0). NOT_FULL and NOT_EMPTY are
 * condition variables made of a sequence number: a signal adds 1 to the cell and wakes sleepers (Atomics.notify);
 * a waiter sleeps with Atomics.wait(cell, seqItRead). Waiting on a condition, step by step:
 *
 *   1. holding the mutex, read the condition's sequence number `seq`, then check the predicate (a free slot for
 *      put, an item or the stop event for take); if it holds, go on — still holding the mutex;
 *   2. otherwise unlock and sleep with Atomics.wait(cell, seq): it returns at once ('not-equal') if someone
 *      signalled since step 1, so a signal sent between our unlock and our sleep is never lost;
 *   3. on waking, lock again and go back to 1: a wake-up only says "something changed" — another thread may have
 *      taken the slot or the item first.
 *
 * Signalling happens after the state change and after unlock (the sleeper needs the mutex to proceed): put signals
 * NOT_EMPTY (wake one consumer), take signals NOT_FULL (wake one producer). Waking one is enough: every waiter of a
 * condition waits for the same thing, and every change that frees a slot or adds an item sends its own signal.
 * Reading `seq` before the predicate (step 1) also covers STOP, the one cell written without the mutex: whoever
 * sets STOP stores it, then bumps NOT_EMPTY; a consumer that read the old `seq` wakes, one that read the new `seq`
 * also sees STOP = 1 (Atomics are sequentially consistent).
 *
 * STOP is Python 3.13's `Queue.shutdown()`, set by the main thread once every producer has finished (non-blocking:
 * the main thread never takes the mutex). take() answers QUEUE_STOPPED (3.13's ShutDown) only when STOP is set AND
 * the queue is empty, so a consumer never leaves an item behind.
 *
 * UNFINISHED is `Queue.unfinished_tasks`: put adds 1 (with the item, before it can be taken), taskDone() takes 1 away and
 * wakes the joiners when it reaches 0; joined() is `Queue.join()` for the main thread, awaited (Atomics.waitAsync),
 * never blocking it.
 *
 * Every sleep goes through `around` (identity by default): under an emulated GIL a thread passes
 * `(sleep) => gil.blocking(sleep)`, so it drops the GIL while it waits, as CPython's Queue does in its Condition.
 */
import { SharedMutex } from './mutex.js'

const MUTEX = 0
const NOT_FULL = 1
const NOT_EMPTY = 2
const HEAD = 3
const TAIL = 4
const COUNT = 5
const CAPACITY = 6
const MAX_DEPTH = 7
const STOP = 8
const UNFINISHED = 9
const SLOTS = 10

/** What take() answers once the queue is stopped and drained (values put are ≥ 0). */
export const QUEUE_STOPPED = -1
/** What take(timeoutMs) answers when nothing came within the timeout (Python's queue.Empty). */
export const QUEUE_EMPTY = -3

export interface QueueOptions {
  /** runs each sleep of this thread; under a GIL: (sleep) => gil.blocking(sleep) */
  around?: (sleep: () => void) => void
}

const waitAsync = (Atomics as unknown as {
  waitAsync: (array: Int32Array, index: number, value: number) => { async: boolean, value: Promise<string> | string }
}).waitAsync

export class SharedBoundedQueue {
  readonly #cells: Int32Array
  readonly #mutex: SharedMutex
  readonly #capacity: number
  readonly #around: (sleep: () => void) => void
  /** ms this thread's put()s waited for a free slot (this thread's own total: each thread has its own instance) */
  putBlockedMs = 0
  /** ms this thread's take()s waited for an item */
  takeBlockedMs = 0

  /** A new, empty queue of `capacity` slots: pass the buffer to the threads in their workerData. */
  static allocate (capacity: number): SharedArrayBuffer {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be an integer >= 1, got ${capacity}`)
    const buffer = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT * (SLOTS + capacity))
    new Int32Array(buffer)[CAPACITY] = capacity
    return buffer
  }

  constructor (buffer: SharedArrayBuffer, options: QueueOptions = {}) {
    this.#cells = new Int32Array(buffer)
    this.#mutex = new SharedMutex(buffer, MUTEX * Int32Array.BYTES_PER_ELEMENT)
    this.#capacity = Atomics.load(this.#cells, CAPACITY)
    this.#around = options.around ?? ((sleep) => sleep())
  }

  /** Adds `value` (an int32; ≥ 0 for a message, a negative marker for a sentinel), waiting while the queue is full. */
  put (value: number): void {
    const cells = this.#cells
    let blockedSince = 0
    this.#mutex.lock()
    for (;;) {
      const seq = Atomics.load(cells, NOT_FULL) // step 1: seq first, then the predicate
      if (cells[COUNT]! < this.#capacity) break
      if (blockedSince === 0) blockedSince = performance.now()
      this.#mutex.unlock() // step 2
      this.#around(() => Atomics.wait(cells, NOT_FULL, seq))
      this.#mutex.lock() // step 3
    }
    Atomics.add(cells, UNFINISHED, 1) // atomic: taskDone() subtracts without the mutex
    const tail = cells[TAIL]!
    cells[SLOTS + tail] = value
    cells[TAIL] = tail + 1 === this.#capacity ? 0 : tail + 1
    const count = cells[COUNT]! + 1
    cells[COUNT] = count
    if (count > cells[MAX_DEPTH]!) cells[MAX_DEPTH] = count
    this.#mutex.unlock()
    if (blockedSince !== 0) this.putBlockedMs += performance.now() - blockedSince
    Atomics.add(cells, NOT_EMPTY, 1)
    Atomics.notify(cells, NOT_EMPTY, 1)
  }

  /**
   * The oldest value, waiting while the queue is empty; QUEUE_STOPPED once stopped and empty; with `timeoutMs`,
   * QUEUE_EMPTY when nothing came within it (Python's get(timeout=…) raising queue.Empty).
   */
  take (timeoutMs?: number): number {
    const cells = this.#cells
    let blockedSince = 0
    const deadline = timeoutMs === undefined ? Infinity : performance.now() + timeoutMs
    this.#mutex.lock()
    for (;;) {
      const seq = Atomics.load(cells, NOT_EMPTY) // step 1: seq first, then the predicate
      if (cells[COUNT]! > 0) break
      if (Atomics.load(cells, STOP) === 1) { // stopped AND empty: the only way out without an item
        this.#mutex.unlock()
        if (blockedSince !== 0) this.takeBlockedMs += performance.now() - blockedSince
        return QUEUE_STOPPED
      }
      if (blockedSince === 0) blockedSince = performance.now()
      const left = deadline - performance.now()
      if (left <= 0) {
        this.#mutex.unlock()
        this.takeBlockedMs += performance.now() - blockedSince
        return QUEUE_EMPTY
      }
      this.#mutex.unlock() // step 2
      this.#around(() => Atomics.wait(cells, NOT_EMPTY, seq, left))
      this.#mutex.lock() // step 3
    }
    const head = cells[HEAD]!
    const value = cells[SLOTS + head]!
    cells[HEAD] = head + 1 === this.#capacity ? 0 : head + 1
    cells[COUNT] = cells[COUNT]! - 1
    this.#mutex.unlock()
    if (blockedSince !== 0) this.takeBlockedMs += performance.now() - blockedSince
    Atomics.add(cells, NOT_FULL, 1)
    Atomics.notify(cells, NOT_FULL, 1)
    return value
  }

  /**
   * `Queue.shutdown()` (Python 3.13): consumers drain what is queued, then take() answers QUEUE_STOPPED.
   * Never blocks, so the main thread may call it.
   */
  stop (): void {
    Atomics.store(this.#cells, STOP, 1)
    Atomics.add(this.#cells, NOT_EMPTY, 1)
    Atomics.notify(this.#cells, NOT_EMPTY) // all of them: every consumer must see it
  }

  /** `Queue.task_done()`: one taken item is handled; the last one wakes the joiners. */
  taskDone (): void {
    if (Atomics.sub(this.#cells, UNFINISHED, 1) === 1) Atomics.notify(this.#cells, UNFINISHED)
  }

  /** `Queue.join()` for the main thread: resolves once every item put has had its taskDone(); never blocks. */
  async joined (): Promise<void> {
    for (;;) {
      const unfinished = Atomics.load(this.#cells, UNFINISHED)
      if (unfinished === 0) return
      const result = waitAsync(this.#cells, UNFINISHED, unfinished)
      if (result.async) await result.value
    }
  }

  /** Items put that have not had their taskDone() yet (`Queue.unfinished_tasks`). */
  get unfinished (): number {
    return Atomics.load(this.#cells, UNFINISHED)
  }

  /**
   * A number that moves on every put, take and stop (the two conditions' sequence numbers): unchanged between two
   * readings, nobody used the queue in between — the lab's watchdog reads it to know its picture is stable.
   */
  get progress (): number {
    return Atomics.load(this.#cells, NOT_FULL) + Atomics.load(this.#cells, NOT_EMPTY)
  }

  get capacity (): number {
    return this.#capacity
  }

  /** Items queued now (a snapshot read without the mutex; Python's qsize(), and empty() is depth === 0). */
  get depth (): number {
    return Atomics.load(this.#cells, COUNT)
  }

  /** The most items ever queued at once. */
  get maxDepth (): number {
    return Atomics.load(this.#cells, MAX_DEPTH)
  }
}
