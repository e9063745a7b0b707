import type { Member, WorkerGroup } from '../threads/worker-group.js'
import { epochNow } from './arrivals.js'
import type { ExecutionPlan, WarmupDone } from './executor.js'
import type { TaskOutcome, WarmAsk } from './messages.js'

/**
 * The warm-up of a mode that starts its own workers (ModeDefinition.warmsOwnWorkers), run by the main side:
 * once every worker is ready, each gets its share (`tasks` split evenly, or the same deadline for `ms`), and the
 * measured run starts when every live worker has said it is warm. Without a warm-up it starts at once.
 *
 *   all ready ──▶ begin(): 'warm' to each ──▶ worker: warm-up tasks … 'warmed' ──▶ all live warmed ──▶ start()
 */
export class WarmPhase<Out> {
  readonly #plan: ExecutionPlan
  readonly #group: WorkerGroup<Out>
  readonly #warmed = new Set<number>()
  #start: (() => void) | undefined
  #startedAt = 0
  #tasks = 0
  #done: WarmupDone | undefined

  constructor (plan: ExecutionPlan, group: WorkerGroup<Out>) {
    this.#plan = plan
    this.#group = group
  }

  /** what ran, once the phase is over; undefined without a warm-up */
  get done (): WarmupDone | undefined {
    return this.#done
  }

  /** Sends each of `members` its share with `send`, then calls `start` once all are warm (at once without a warm-up). */
  begin (members: Array<Member<Out>>, send: (member: Member<Out>, ask: WarmAsk) => void, start: () => void): void {
    const asked = this.#plan.warmup
    if (!asked) {
      start()
      return
    }
    this.#start = start
    this.#startedAt = performance.now()
    const untilEpoch = asked.ms === undefined ? undefined : epochNow() + asked.ms
    const workers = members.length
    for (const [position, member] of members.entries()) {
      const ask: WarmAsk = { type: 'warm', firstIndex: this.#plan.tasks + position, stride: workers }
      if (asked.tasks !== undefined) ask.tasks = Math.floor(asked.tasks / workers) + (position < asked.tasks % workers ? 1 : 0)
      else ask.untilEpoch = untilEpoch
      send(member, ask)
    }
  }

  /** Whether these outcomes are warm-up ones (passed to onWarmupOutcomes, counted here); the measured ones are not. */
  took (outcomes: TaskOutcome[]): boolean {
    const first = outcomes[0]
    if (first === undefined || first.index < this.#plan.tasks) return false
    this.#tasks += outcomes.length
    this.#plan.onWarmupOutcomes?.(outcomes)
    return true
  }

  warmed (member: Member<Out>): void {
    this.#warmed.add(member.slot)
    this.check()
  }

  /** Starts the run once every live worker is warm; call it too when a worker is gone (it no longer holds the rest). */
  check (): void {
    if (!this.#start || this.#group.killed) return
    const live = this.#group.live
    if (live.length === 0 || !live.every((member) => this.#warmed.has(member.slot))) return
    const start = this.#start
    this.#start = undefined
    this.#done = { tasks: this.#tasks, ms: Number((performance.now() - this.#startedAt).toFixed(3)) }
    start()
  }
}
