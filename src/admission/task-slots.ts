/**
 * The budget for single tasks that answer a request or a timer (GET /work, timer fires): at most `capacity` in flight
 * (MAX_WORK_IN_FLIGHT). They are what autocannon aims at, so there is no queue to grow without bound behind the
 * pool's own (piscina's is unbounded): one over the budget is refused at once (503 with Retry-After) rather than
 * waiting where nobody can see it.
 */
export class TaskSlots {
  readonly capacity: number
  #inFlight = 0

  constructor (capacity: number) {
    this.capacity = capacity
  }

  get inFlight (): number {
    return this.#inFlight
  }

  /** A slot if one is free; release it with the function returned (a second call does nothing). */
  tryClaim (): (() => void) | undefined {
    if (this.#inFlight >= this.capacity) return undefined
    this.#inFlight++
    let held = true
    return () => {
      if (!held) return
      held = false
      this.#inFlight--
    }
  }
}
