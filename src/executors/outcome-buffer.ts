import type { TaskOutcome } from './messages.js'

const MAX_BUFFERED = 64
const MAX_HOLD_MS = 50

/**
 * Collects outcomes in a worker and sends them in batches: one message per task would cost more than a tiny task,
 * while holding them longer than ~50 ms would make progress lag.
 */
export class OutcomeBuffer {
  #outcomes: TaskOutcome[] = []
  #lastFlush = performance.now()
  readonly #send: (outcomes: TaskOutcome[]) => void

  constructor (send: (outcomes: TaskOutcome[]) => void) {
    this.#send = send
  }

  push (outcome: TaskOutcome): void {
    this.#outcomes.push(outcome)
    if (this.#outcomes.length >= MAX_BUFFERED || performance.now() - this.#lastFlush >= MAX_HOLD_MS) this.flush()
  }

  flush (): void {
    if (this.#outcomes.length > 0) this.#send(this.drain())
  }

  /** Takes the buffered outcomes without sending them (to send them with another message). */
  drain (): TaskOutcome[] {
    this.#lastFlush = performance.now()
    const outcomes = this.#outcomes
    this.#outcomes = []
    return outcomes
  }
}
