/** Hands out task indices 0…tasks−1 in order, a batch at a time, in the main thread. */
export class TaskCursor {
  #next = 0
  readonly #tasks: number

  constructor (tasks: number) {
    this.#tasks = tasks
  }

  /** true once every index has been handed out */
  get exhausted (): boolean {
    return this.#next >= this.#tasks
  }

  /** indices not yet handed out */
  get remaining (): number {
    return this.#tasks - this.#next
  }

  /** Up to `count` next indices; empty when all have been handed out. */
  take (count: number): number[] {
    const end = Math.min(this.#next + count, this.#tasks)
    const indices: number[] = []
    for (let index = this.#next; index < end; index++) indices.push(index)
    this.#next = end
    return indices
  }
}
