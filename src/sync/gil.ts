import { threadId } from 'node:worker_threads'

/**
 * An emulated global interpreter lock: one lock in shared memory for every thread of the process that runs a job's
 * tasks. A thread must hold it to run CPU work, drops it while it waits on I/O, and is made to hand it over when
 * another thread has waited a switch interval for it — CPython's "new GIL" (3.2+, sys.getswitchinterval() = 5 ms).
 *
 *   cells[OWNER]   0 = free, else threadId + 1 of the holder
 *   cells[WAITERS] threads sleeping in acquire
 *   cells[TURNS]   CPython's switch_number: incremented when the lock changes hands (an acquisition by a thread other
 *                  than LAST; a thread taking its own lock back is no switch). A thread that handed over waits for it to move
 *   cells[DROP]    1 = a waiter has waited a whole interval with no switch: the holder must drop the lock at its next tick
 *   cells[LAST]    threadId + 1 of the last holder (0: nobody held it yet)
 *   cells[STAMP]   set once by allocate(): which lock this is (a job's warm-up rounds and its run each get their own)
 *
 * acquire: a thread that already holds it only counts one more holder (tasks sharing a thread share its lock, as
 *   coroutines share a Python thread's GIL). If a drop was requested and this thread held it last, it first waits
 *   (up to an interval) for another thread to take it — otherwise the releasing thread would win again at once and
 *   starve the waiter. Then: swap OWNER 0 → me; if taken, count myself in WAITERS and sleep on OWNER while it still
 *   names the same holder, for at most one interval at a time; after a whole interval asleep during which no other
 *   thread took the lock (TURNS did not move), set DROP, as CPython's take_gil does. On success, as take_gil: clear
 *   DROP (however the lock was taken: a request made for an earlier holder is not this one's), and if LAST names
 *   another thread, note LAST, move TURNS and wake whoever waits for a turn. One exception, where the emulation
 *   differs from CPython: CPython's drop_gil waits for the hand-over without a bound, this one for at most an
 *   interval (a waiter may have been terminated); a thread that takes its own lock back after that wait timed out
 *   leaves DROP set, since the hand-over it was asked for is still owed — it tries again at its next tick.
 * release: when the last holder on this thread lets go, OWNER = 0 and wake every sleeper (one takes it; the others
 *   start a new interval from the switch).
 * tick (called by CPU loops, cheap: one load): when DROP is set, release, wait for TURNS to move (bounded), acquire.
 * Time spent in acquire and in a handover is the GIL wait a report shows.
 */
const OWNER = 0
const WAITERS = 1
const TURNS = 2
const DROP = 3
const LAST = 4
const STAMP = 5
const CELLS = 6
/** allocate()'s stamps in this thread: a random start, so two threads' stamps do not meet either */
let nextStamp = Math.floor(Math.random() * 0x7fff_ffff)

export interface GilShared {
  /** the job's id: a thread keeps one view of the lock per job, however many dispatches bring it */
  id: string
  switchIntervalMs: number
  /** absent in a child process (shared memory does not cross processes): each process makes its own lock */
  buffer?: SharedArrayBuffer
}

export class Gil {
  readonly #cells: Int32Array
  readonly #me = threadId + 1
  readonly #switchIntervalMs: number
  #holders = 0
  /** ms this thread has spent waiting for the lock, cumulative */
  waitedMs = 0

  constructor (shared: GilShared) {
    this.#cells = new Int32Array(shared.buffer ?? Gil.allocate())
    this.#switchIntervalMs = shared.switchIntervalMs
  }

  static allocate (): SharedArrayBuffer {
    const buffer = new SharedArrayBuffer(CELLS * Int32Array.BYTES_PER_ELEMENT)
    nextStamp = (nextStamp + 1) | 0
    Atomics.store(new Int32Array(buffer), STAMP, nextStamp)
    return buffer
  }

  /**
   * Frees a lock whose holder is gone: a thread terminated mid-task (a cancelled job's) never releases it. Only for
   * when the threads that used the lock have stopped (the I/O probe's end): a live holder would lose it.
   */
  static abandon (buffer: SharedArrayBuffer): void {
    const cells = new Int32Array(buffer)
    Atomics.store(cells, OWNER, 0)
    Atomics.notify(cells, OWNER)
  }

  /**
   * Times the lock changed hands so far, the first holder's first acquisition included (CPython's switch_number):
   * a thread taking its own lock back (after I/O nobody used to run, say) does not count.
   */
  static turns (buffer: SharedArrayBuffer): number {
    return Atomics.load(new Int32Array(buffer), TURNS)
  }

  acquire (): void {
    if (this.#holders > 0) {
      this.#holders++
      return
    }
    const cells = this.#cells
    const started = performance.now()
    /** a hand-over this thread was asked for and nobody took within an interval: it still owes it */
    let owed = false
    if (Atomics.load(cells, DROP) === 1 && Atomics.load(cells, LAST) === this.#me) {
      const turns = Atomics.load(cells, TURNS)
      owed = Atomics.wait(cells, TURNS, turns, this.#switchIntervalMs) === 'timed-out' && Atomics.load(cells, TURNS) === turns
    }
    if (Atomics.compareExchange(cells, OWNER, 0, this.#me) !== 0) {
      Atomics.add(cells, WAITERS, 1)
      let owner: number
      while ((owner = Atomics.compareExchange(cells, OWNER, 0, this.#me)) !== 0) {
        // CPython's take_gil: each wait is one interval from now, and a drop is requested only if no switch happened
        // during it. A release wakes every waiter, so after a switch they all wait anew from it: a hold lasts about
        // an interval however many threads wait (with a drop after any timed-out wait, holds shrank as threads were
        // added: 4.9, 2.9, 2.1 ms at 2, 4, 6 threads against CPython's 5.1, 5.1, 5.0).
        const turns = Atomics.load(cells, TURNS)
        if (Atomics.wait(cells, OWNER, owner, this.#switchIntervalMs) === 'timed-out' && Atomics.load(cells, TURNS) === turns) {
          Atomics.store(cells, DROP, 1)
        }
      }
      Atomics.sub(cells, WAITERS, 1)
    }
    // Held: LAST and TURNS are this thread's to change until it releases (waiters only ever set DROP).
    if (Atomics.load(cells, LAST) !== this.#me) {
      Atomics.store(cells, LAST, this.#me)
      Atomics.add(cells, TURNS, 1)
      Atomics.notify(cells, TURNS)
      Atomics.store(cells, DROP, 0)
    } else if (!owed) {
      Atomics.store(cells, DROP, 0)
    }
    this.#holders = 1
    this.waitedMs += performance.now() - started
  }

  release (): void {
    if (this.#holders === 0) return
    if (--this.#holders > 0) return
    Atomics.store(this.#cells, OWNER, 0)
    Atomics.notify(this.#cells, OWNER)
  }

  tick (): void {
    if (this.#holders === 0 || Atomics.load(this.#cells, DROP) === 0) return
    const holders = this.#holders
    this.#holders = 1
    this.release()
    this.acquire() // waits for another thread to take its turn first (DROP is set and this thread held it last)
    this.#holders = holders
  }

  /** Runs blocking I/O (a synchronous driver's wait) without the lock, as CPython releases the GIL around it. */
  blocking<T> (work: () => T): T {
    const holders = this.#holders
    this.#holders = Math.min(holders, 1)
    this.release()
    try {
      return work()
    } finally {
      if (holders > 0) {
        this.acquire()
        this.#holders = holders
      }
    }
  }

  /** Awaits I/O without the lock. */
  async io<T> (work: () => Promise<T>): Promise<T> {
    const holders = this.#holders
    this.#holders = Math.min(holders, 1)
    this.release()
    try {
      return await work()
    } finally {
      if (holders > 0) {
        this.acquire()
        this.#holders = holders
      }
    }
  }
}

/** What tasks call when the job has no GIL: every operation is free. */
export const noGil = {
  acquire () {},
  release () {},
  tick () {},
  blocking<T> (work: () => T): T { return work() },
  io<T> (work: () => Promise<T>): Promise<T> { return work() },
  waitedMs: 0
}

export type GilLike = Pick<Gil, 'acquire' | 'release' | 'tick' | 'blocking' | 'io' | 'waitedMs'>

const gils = new Map<string, Gil>()
const KEPT = 8

/**
 * The thread's view of a job's lock: one per lock on this thread, so every task of the job here shares it (each
 * dispatch to a pool thread brings a fresh copy of the job context; keying by the job id and the lock's stamp
 * keeps the thread's count). The stamp matters: a job's warm-up rounds run under locks of their own, and a pool
 * thread that ran one must not keep using that lock for the measured run, where the others (and an ioProbe) use
 * the run's.
 */
export function gilFor (shared: GilShared | undefined): GilLike {
  if (!shared) return noGil
  const key = shared.buffer ? `${shared.id}#${Atomics.load(new Int32Array(shared.buffer), STAMP)}` : shared.id
  let gil = gils.get(key)
  if (!gil) {
    gil = new Gil(shared)
    gils.set(key, gil)
    if (gils.size > KEPT) gils.delete(gils.keys().next().value!)
  }
  return gil
}
