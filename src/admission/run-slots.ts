/**
 * The cores' budget for measured runs: jobs, lab runs and compare experiments each need the machine to themselves
 * (two at once would share the cores and each other's numbers, and a lab beside a threads job put 100+ threads on
 * two cores). At most `capacity` hold a slot at once (MAX_RUNNING_JOBS, 1 by default). Jobs wait for one in the
 * scheduler's bounded queue; a lab run, which answers its own request, takes one only when one is free now, and is
 * refused otherwise (429 with Retry-After). A freed slot goes to a queued job first, so labs cannot starve jobs.
 */
export class RunSlots {
  readonly capacity: number
  readonly #holders = new Map<symbol, string>()
  readonly #onFree = new Set<() => void>()

  constructor (capacity: number) {
    this.capacity = capacity
  }

  get free (): number {
    return this.capacity - this.#holders.size
  }

  /** what holds the slots now ("job 1f2e…", "race lab"), for messages */
  get holders (): string[] {
    return [...this.#holders.values()]
  }

  /** A slot for `owner` if one is free now; release it with the function returned (a second call does nothing). */
  tryClaim (owner: string): (() => void) | undefined {
    if (this.free <= 0) return undefined
    const key = Symbol(owner)
    this.#holders.set(key, owner)
    return () => {
      if (!this.#holders.delete(key)) return
      for (const listener of this.#onFree) listener()
    }
  }

  /** Called whenever a slot frees (the scheduler starts its next job here). */
  onFree (listener: () => void): void {
    this.#onFree.add(listener)
  }
}
