/**
 * Hands out task indices 0…tasks−1 in order, a batch at a time, in the main thread. Indices given back (a worker
 * died before it started them) are handed out again first.
 */
export class TaskCursor {
  #next = 0
  #returned: number[] = []
  readonly #tasks: number

  constructor (tasks: number) {
    this.#tasks = tasks
  }

  /** true once every index has been handed out */
  get exhausted (): boolean {
    return this.#next >= this.#tasks && this.#returned.length === 0
  }

  /** indices not yet handed out */
  get remaining (): number {
    return this.#tasks - this.#next + this.#returned.length
  }

  /** Indices that were taken but never started: they are handed out again. */
  giveBack (indices: number[]): void {
    // concat, not push(...indices): a spread of a chunk of ~100 k indices (MAX_BATCH allows it) overflows the stack
    this.#returned = this.#returned.concat(indices)
  }

  /** The index take() would hand out next, without taking it; undefined when none is left. */
  peek (): number | undefined {
    if (this.#returned.length > 0) return this.#returned[0]
    return this.#next < this.#tasks ? this.#next : undefined
  }

  /** Up to `count` next indices while `isDue` says each may start now (open-loop dispatch); maybe none. */
  takeDue (count: number, isDue: (index: number) => boolean): number[] {
    const indices: number[] = []
    for (let next = this.peek(); next !== undefined && indices.length < count && isDue(next); next = this.peek()) {
      indices.push(...this.take(1))
    }
    return indices
  }

  /** Up to `count` next indices; empty when all have been handed out. */
  take (count: number): number[] {
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`TaskCursor.take: count must be a positive integer, got ${count}`)
    if (this.#returned.length > 0) return this.#returned.splice(0, count)
    const end = Math.min(this.#next + count, this.#tasks)
    const indices: number[] = []
    for (let index = this.#next; index < end; index++) indices.push(index)
    this.#next = end
    return indices
  }
}
