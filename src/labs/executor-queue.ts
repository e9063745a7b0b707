/** The cells of one style's region. */
const Cell = { SUBMITTED: 0, NEXT: 1, STARTED: 2, RAISED: 3 } as const
const CELLS = 4

/**
 * The pool's work queue in shared memory, one region per style: the tasks are known to every thread up front, so
 * the queue is two counters — how many the caller has submitted, and the next one to take.
 *
 *   caller: submit() stores SUBMITTED = i + 1 and wakes the sleeping pool threads (ThreadPoolExecutor.submit puts
 *           the work item on its queue and wakes a worker)
 *   pool thread: i = NEXT++ (Atomics.add: each index goes to exactly one thread, in submission order); past the
 *           last task it moves on to the next style; while i is not submitted yet it sleeps on SUBMITTED
 *           (Atomics.wait while the cell holds the value it read: a submit in between changes it, no wake-up lost)
 * STARTED and RAISED count, as the tasks themselves do, how many ran and how many threw: the truth the caller's own
 * count (exceptionsSeen) is compared with.
 */
export class ExecutorQueue {
  readonly #cells: Int32Array

  constructor (buffer: SharedArrayBuffer) {
    this.#cells = new Int32Array(buffer)
  }

  static allocate (styles: number): SharedArrayBuffer {
    return new SharedArrayBuffer(styles * CELLS * Int32Array.BYTES_PER_ELEMENT)
  }

  #at (style: number, cell: number): number {
    return style * CELLS + cell
  }

  /** Caller: task `index` of `style` may run. */
  submit (style: number, index: number): void {
    Atomics.store(this.#cells, this.#at(style, Cell.SUBMITTED), index + 1)
    Atomics.notify(this.#cells, this.#at(style, Cell.SUBMITTED))
  }

  /** Pool thread (blocks it): the next task of `style`, or undefined when all `tasks` are taken. */
  take (style: number, tasks: number): number | undefined {
    const index = Atomics.add(this.#cells, this.#at(style, Cell.NEXT), 1)
    if (index >= tasks) return undefined
    const submitted = this.#at(style, Cell.SUBMITTED)
    for (let seen = Atomics.load(this.#cells, submitted); seen <= index; seen = Atomics.load(this.#cells, submitted)) {
      Atomics.wait(this.#cells, submitted, seen)
    }
    return index
  }

  count (style: number, what: 'started' | 'raised'): void {
    Atomics.add(this.#cells, this.#at(style, what === 'started' ? Cell.STARTED : Cell.RAISED), 1)
  }

  read (style: number): { started: number, raised: number } {
    return { started: Atomics.load(this.#cells, this.#at(style, Cell.STARTED)), raised: Atomics.load(this.#cells, this.#at(style, Cell.RAISED)) }
  }
}
