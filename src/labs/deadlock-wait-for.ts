/**
 * The deadlock lab's wait-for table: in shared memory, written by the worker threads, read by the watchdog in the
 * main thread. Who owns each lock, and which lock each worker waits for — the wait-for graph.
 *
 *   Int32 cells:  OWNER[lock]   for each lock: the worker holding it, −1 when free
 *                 row[worker]   SEQ, WAITS_FOR (lock or −1), WAIT_KIND, ACQUIRED, ATTEMPTS, BACKOFFS,
 *                               ACQUISITIONS, RELEASES, UNLOCK_ERRORS (every lock() and unlock(), and refused unlocks)
 *
 * Protocol (thread side), so that the watchdog never sees an edge that is not there and always sees a deadlock:
 *  1. Before blocking on lock L, publish WAITS_FOR = L and WAIT_KIND (blocking for lock(), timed for tryLock()).
 *     A thread that then blocks forever has therefore already said so.
 *  2. Once L is acquired, clear WAITS_FOR first, then publish OWNER[L] = self. (The other order would briefly
 *     show self → L → self; in between, the lock looks free, which adds no edge.)
 *  3. On giving up a timed wait, clear WAITS_FOR.
 *  4. Before unlocking L, clear OWNER[L]. (After the unlock, another thread may take L and publish itself; a
 *     late clear would erase it.) So OWNER[L] = w implies w holds L right now.
 * Every write of worker w — its row and the OWNER cells of the locks it takes or releases, which only the holder
 * writes — happens inside w's sequence bracket: SEQ becomes odd, the cells are stored, SEQ becomes even again.
 *
 * Watchdog (main thread, never blocks): read every SEQ; if one is odd, a worker is mid-write — try later. Read
 * all the cells; read every SEQ again. Unchanged means nobody wrote in between: the cells are one consistent
 * picture (a seqlock). In that picture each worker has at most one out-edge, worker → owner(WAITS_FOR), so a
 * deadlock is a cycle of such edges in which every wait is blocking. The workers of that cycle can never move
 * (each waits for a lock held by the next, which is itself blocked), so the picture stays true until they are
 * terminated. A cycle that includes a timed wait is not a deadlock: the timeout breaks it. Three kinds:
 *  - cycle:     two or more workers, each waiting for the next one's lock (locks taken in opposite orders);
 *  - self:      a cycle of one — a worker blocked on a non-reentrant lock it holds itself (it acquired twice);
 *  - abandoned: a worker blocked on a lock whose owner has exited without releasing it. The watchdog reads which
 *               threads have exited *before* it takes the picture: a thread that has exited writes nothing more,
 *               so OWNER[L] = w with w gone means w left holding L (a releasing thread clears OWNER first, step 4).
 * (A reentrant lock taken again by its owner does not block, and its thread publishes no wait for it.)
 */

export const WaitKind = { NONE: 0, BLOCKING: 1, TIMED: 2 } as const

const Row = { SEQ: 0, WAITS_FOR: 1, WAIT_KIND: 2, ACQUIRED: 3, ATTEMPTS: 4, BACKOFFS: 5, ACQUISITIONS: 6, RELEASES: 7, UNLOCK_ERRORS: 8 } as const
const ROW_CELLS = 9
const COUNTERS = { acquired: Row.ACQUIRED, attempts: Row.ATTEMPTS, backoffs: Row.BACKOFFS, acquisitions: Row.ACQUISITIONS, releases: Row.RELEASES, unlockErrors: Row.UNLOCK_ERRORS } as const
export type Counter = keyof typeof COUNTERS
const NONE = -1

export interface WorkerRow {
  waitsFor: number
  waitKind: number
  /** 1 once it held both locks and did its work */
  acquired: number
  attempts: number
  backoffs: number
  /** every lock() that returned (a reentrant re-take included) */
  acquisitions: number
  /** every unlock() that released (or counted down) a lock */
  releases: number
  /** unlock() refused: the caller was not the owner */
  unlockErrors: number
}

/** One consistent picture of the table. */
export interface WaitForSnapshot {
  owners: number[]
  rows: WorkerRow[]
}

/** An edge of a deadlock cycle: `worker` holds `holds` and waits for `waitsFor`, which `heldBy` holds. */
export interface WaitForEdge {
  worker: number
  holds: number
  waitsFor: number
  heldBy: number
}

export class WaitForTable {
  readonly #cells: Int32Array
  readonly #locks: number
  readonly #workers: number

  constructor (buffer: SharedArrayBuffer, locks: number, workers: number) {
    this.#cells = new Int32Array(buffer)
    this.#locks = locks
    this.#workers = workers
  }

  static allocate (locks: number, workers: number): SharedArrayBuffer {
    const buffer = new SharedArrayBuffer((locks + workers * ROW_CELLS) * Int32Array.BYTES_PER_ELEMENT)
    const cells = new Int32Array(buffer)
    cells.fill(NONE, 0, locks)
    for (let worker = 0; worker < workers; worker++) cells[locks + worker * ROW_CELLS + Row.WAITS_FOR] = NONE
    return buffer
  }

  #cell (worker: number, field: number): number {
    return this.#locks + worker * ROW_CELLS + field
  }

  /** Worker side: one bracketed write (SEQ odd while `write` stores its cells). */
  #publish (worker: number, write: () => void): void {
    Atomics.add(this.#cells, this.#cell(worker, Row.SEQ), 1)
    write()
    Atomics.add(this.#cells, this.#cell(worker, Row.SEQ), 1)
  }

  /** Step 1: about to block on `lock` (`timed` for a tryLock with a timeout). */
  waitsFor (worker: number, lock: number, timed: boolean): void {
    this.#publish(worker, () => {
      Atomics.store(this.#cells, this.#cell(worker, Row.WAITS_FOR), lock)
      Atomics.store(this.#cells, this.#cell(worker, Row.WAIT_KIND), timed ? WaitKind.TIMED : WaitKind.BLOCKING)
    })
  }

  /** Step 2: `lock` is ours. */
  acquired (worker: number, lock: number): void {
    this.#publish(worker, () => {
      this.#clearWait(worker)
      Atomics.store(this.#cells, lock, worker)
    })
  }

  /** Step 3: a timed wait gave up. */
  gaveUp (worker: number): void {
    this.#publish(worker, () => this.#clearWait(worker))
  }

  /** Step 4: call before unlocking `lock`. */
  releasing (worker: number, lock: number): void {
    this.#publish(worker, () => Atomics.store(this.#cells, lock, NONE))
  }

  #clearWait (worker: number): void {
    Atomics.store(this.#cells, this.#cell(worker, Row.WAITS_FOR), NONE)
    Atomics.store(this.#cells, this.#cell(worker, Row.WAIT_KIND), WaitKind.NONE)
  }

  /**
   * Counters for the report: an attempt at both locks, a back-off, both locks held (the work done), a lock()
   * returned, an unlock() done, an unlock() refused.
   */
  count (worker: number, what: Counter): void {
    this.#publish(worker, () => Atomics.add(this.#cells, this.#cell(worker, COUNTERS[what]), 1))
  }

  #sequences (): number[] {
    return Array.from({ length: this.#workers }, (_, worker) => Atomics.load(this.#cells, this.#cell(worker, Row.SEQ)))
  }

  /** Watchdog side: a consistent picture, or undefined when a worker wrote while it was read (try again later). */
  snapshot (): WaitForSnapshot | undefined {
    const before = this.#sequences()
    if (before.some((seq) => seq % 2 === 1)) return undefined
    const picture = this.read()
    const after = this.#sequences()
    return after.every((seq, worker) => seq === before[worker]) ? picture : undefined
  }

  /** The cells as they are, consistent or not: for the counters in the final report, once every thread is gone. */
  read (): WaitForSnapshot {
    const load = (index: number) => Atomics.load(this.#cells, index)
    return {
      owners: Array.from({ length: this.#locks }, (_, lock) => load(lock)),
      rows: Array.from({ length: this.#workers }, (_, worker) => ({
        waitsFor: load(this.#cell(worker, Row.WAITS_FOR)),
        waitKind: load(this.#cell(worker, Row.WAIT_KIND)),
        acquired: load(this.#cell(worker, Row.ACQUIRED)),
        attempts: load(this.#cell(worker, Row.ATTEMPTS)),
        backoffs: load(this.#cell(worker, Row.BACKOFFS)),
        acquisitions: load(this.#cell(worker, Row.ACQUISITIONS)),
        releases: load(this.#cell(worker, Row.RELEASES)),
        unlockErrors: load(this.#cell(worker, Row.UNLOCK_ERRORS))
      }))
    }
  }
}

export type DeadlockKind = 'cycle' | 'self' | 'abandoned'

/** A lock whose owner has gone without releasing it, and the live workers blocked on it. */
export interface AbandonedLock {
  lock: number
  owner: number
  waiters: number[]
}

export interface FoundDeadlock {
  /** cycle or self when there is a cycle of blocking waits (self: of one worker), else abandoned */
  kind: DeadlockKind
  /** the first cycle, rotated to start at its lowest worker; [] for abandoned */
  cycle: WaitForEdge[]
  /** the first abandoned lock a stuck worker's chain of waits ends at; null for cycle and self */
  abandoned: AbandonedLock | null
  /** every live worker that can never move */
  stuck: number[]
}

/**
 * The deadlocks of a picture, or undefined when no worker is stuck. `gone`: workers that have exited or been
 * terminated — they will never release what they hold; their rows are ignored.
 * `stuck`: the workers of any cycle (a self-deadlocked worker is a cycle of one), and those whose chain of blocking
 * waits leads into a cycle or to a gone owner.
 * Each worker has at most one out-edge, so following edges from any worker either ends or enters a cycle.
 */
export function findDeadlock (snapshot: WaitForSnapshot, gone: ReadonlySet<number> = new Set()): FoundDeadlock | undefined {
  const { owners, rows } = snapshot
  const next = (worker: number): number => {
    const row = rows[worker]
    if (!row || gone.has(worker) || row.waitKind !== WaitKind.BLOCKING || row.waitsFor < 0) return NONE
    return owners[row.waitsFor] ?? NONE
  }
  const inCycle = new Set<number>()
  let first: number[] | undefined
  const visited = new Set<number>()
  for (let start = 0; start < rows.length; start++) {
    const path: number[] = []
    let worker = start
    while (worker !== NONE && !visited.has(worker) && !path.includes(worker)) {
      path.push(worker)
      worker = next(worker)
    }
    if (worker !== NONE && path.includes(worker)) {
      const cycle = path.slice(path.indexOf(worker))
      for (const member of cycle) inCycle.add(member)
      first ??= cycle
    }
    for (const member of path) visited.add(member)
  }
  let abandoned: AbandonedLock | null = null
  const stuck = rows.map((_, worker) => worker).filter((worker) => {
    if (gone.has(worker)) return false
    for (let step = 0, at = worker; step <= rows.length && at !== NONE; step++) {
      if (inCycle.has(at)) return true
      const owner = next(at)
      if (owner !== NONE && gone.has(owner)) {
        const lock = (rows[at] as WorkerRow).waitsFor
        if (abandoned === null) abandoned = { lock, owner, waiters: [] }
        return true
      }
      at = owner
    }
    return false
  })
  if (stuck.length === 0) return undefined
  if (first) return { kind: first.length === 1 ? 'self' : 'cycle', cycle: cycleEdges(first, rows), abandoned: null, stuck }
  const named = abandoned as AbandonedLock | null
  if (named) named.waiters = stuck.filter((worker) => next(worker) === named.owner && rows[worker]?.waitsFor === named.lock)
  return { kind: 'abandoned', cycle: [], abandoned: named, stuck }
}

/** worker → the lock it waits for → the next worker, which holds it; `holds` is what the previous one waits for. */
function cycleEdges (workers: number[], rows: WorkerRow[]): WaitForEdge[] {
  const lowest = workers.indexOf(Math.min(...workers))
  const cycle = [...workers.slice(lowest), ...workers.slice(0, lowest)]
  return cycle.map((worker, index) => ({
    worker,
    holds: (rows[cycle[(index + cycle.length - 1) % cycle.length] as number] as WorkerRow).waitsFor,
    waitsFor: (rows[worker] as WorkerRow).waitsFor,
    heldBy: cycle[(index + 1) % cycle.length] as number
  }))
}
