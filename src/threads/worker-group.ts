/**
 * The skeleton every set of threads or child processes shares (threads and processes jobs, the labs): start
 * them, wait until all are ready, let them go together, and know when the last one is gone.
 *
 *   spawnAll(n) ──▶ member: loads, posts its ready message ──▶ every live member ready ──▶ onAllReady (once)
 *   member gone (exit, close, could not start) ──▶ onGone ──▶ the rest all ready? ──▶ none left? ──▶ onAllGone (once)
 *
 * A member that dies before it is ready does not hold the others back: readiness is checked over the live ones.
 * After kill() nothing is started any more (onAllReady never fires), and onAllGone still does once all are gone.
 * Every member is counted in the one live-worker account from spawn until it is gone.
 */
import { liveWorkers, type WorkerOwner } from './live-workers.js'
import type { Gone, WorkerHandle } from './worker-handle.js'

export interface Member<Out> {
  readonly slot: number
  readonly handle: WorkerHandle<Out>
  ready: boolean
  gone: boolean
  /** stopped before it was ready: it is killed as soon as it is (see WorkerGroup.stop) */
  stopWhenReady?: boolean
}

/** The longest a member stopped before it was ready is given to finish loading before it is killed all the same. */
const UNREADY_STOP_MS = 1000

export interface WorkerGroupHooks<Out> {
  /** whether a message is a member's "I am ready" (it is not passed on to onMessage) */
  isReady: (message: Out) => boolean
  /** a member has just been added (counted, listened to): the place to send it its first message */
  onSpawned?: (member: Member<Out>) => void
  /** a member's ready message has arrived (before readiness of the whole group is checked) */
  onReady?: (member: Member<Out>, message: Out) => void
  onMessage?: (member: Member<Out>, message: Out) => void
  /** a member is gone; called before readiness and the end are checked again */
  onGone?: (member: Member<Out>, gone: Gone) => void
  onAllReady?: (members: Array<Member<Out>>) => void
  onAllGone?: () => void
}

export class WorkerGroup<Out> {
  readonly members: Array<Member<Out>> = []
  /** set when starting a member threw (the OS refused a thread: EAGAIN; a first message that cannot be sent): the group was killed */
  spawnFailure: Error | undefined
  readonly #owner: WorkerOwner
  readonly #hooks: WorkerGroupHooks<Out>
  #spawning = false
  #killed = false
  #allReady = false
  #allGone = false

  constructor (owner: WorkerOwner, hooks: WorkerGroupHooks<Out>) {
    this.#owner = owner
    this.#hooks = hooks
  }

  get live (): Array<Member<Out>> {
    return this.members.filter((member) => !member.gone)
  }

  get killed (): boolean {
    return this.#killed
  }

  /** why starting a member failed, or '' */
  get spawnError (): string {
    return this.spawnFailure?.message ?? ''
  }

  /** Starts members 0 … count − 1 while `go()` holds; a throw stops the rest and kills those started. */
  spawnAll (count: number, spawn: (slot: number) => WorkerHandle<Out>, go: () => boolean = () => true): void {
    this.#spawning = true
    try {
      for (let slot = 0; slot < count && go(); slot++) this.#add(slot, spawn(slot))
    } catch (error) {
      this.spawnFailure = error instanceof Error ? error : new Error(String(error))
      this.kill(true)
    }
    this.#spawning = false
    this.#check()
  }

  /**
   * Stops every live member (see stop; `atOnce` kills those not ready yet too, as when the group could not be
   * started); the group's end comes through onGone / onAllGone as usual.
   */
  kill (atOnce = false): void {
    this.#killed = true
    for (const member of this.live) {
      if (atOnce) member.handle.kill()
      else this.stop(member)
    }
  }

  /**
   * Stops one member: at once if it is ready, else as soon as it is, or after UNREADY_STOP_MS at the latest. Node 20
   * leaves open the files of the modules a worker thread was still loading when it was terminated (fds that never
   * close: a cancel just after submit leaked a few each time); a ready worker has loaded them all.
   */
  stop (member: Member<Out>): void {
    if (member.gone) return
    if (member.ready) {
      member.handle.kill()
      return
    }
    member.stopWhenReady = true
    setTimeout(() => { if (!member.gone) member.handle.kill() }, UNREADY_STOP_MS).unref()
  }

  #add (slot: number, handle: WorkerHandle<Out>): void {
    liveWorkers.added(this.#owner)
    const member: Member<Out> = { slot, handle, ready: false, gone: false }
    this.members.push(member)
    handle.onMessage((message) => {
      if (member.gone) return
      if (this.#hooks.isReady(message)) {
        member.ready = true
        if (member.stopWhenReady) {
          member.handle.kill()
          return
        }
        this.#hooks.onReady?.(member, message)
        this.#check()
      } else {
        this.#hooks.onMessage?.(member, message)
      }
    })
    handle.onGone((gone) => {
      if (member.gone) return
      member.gone = true
      liveWorkers.removed(this.#owner)
      this.#hooks.onGone?.(member, gone)
      this.#check()
    })
    this.#hooks.onSpawned?.(member)
  }

  #check (): void {
    if (this.#spawning) return
    if (!this.#allReady && !this.#killed) {
      const alive = this.live
      if (alive.length > 0 && alive.every((member) => member.ready)) {
        this.#allReady = true
        this.#hooks.onAllReady?.(alive)
      }
    }
    if (!this.#allGone && this.live.length === 0) {
      this.#allGone = true
      this.#hooks.onAllGone?.()
    }
  }
}
