/**
 * The deadlock lab: N worker threads, N locks in a ring (worker i needs locks i and i + 1 mod N), taken with a
 * strategy — or the seed's own deadlock, "two acquire operations run without a release": a lock taken twice by its
 * holder (double-acquire; an RLock, reentrant, does not block), a lock whose holder died (never-released; with
 * `finally`, released-in-finally); a watchdog in the main thread that finds a deadlock in the wait-for table, says
 * which kind (cycle, self, abandoned) and ends it.
 *
 *   main: locks + wait-for table (shared memory) ──▶ N threads (lab-deadlock-entry) ──▶ all ready, one go
 *   threads: take locks, publishing holds and waits in the table ──▶ 'result', exit
 *   watchdog (main thread, a timer — it never blocks): every watchdogMs, which threads have exited, then a
 *     consistent picture of the table → a cycle of blocking waits, or a wait on a gone owner's lock? → report it,
 *     terminate the stuck threads → wait for the rest to finish
 *   the whole run: LAB_MAX_MS, then every thread is terminated and the answer is LAB_TIMED_OUT
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { lockOrder, type DeadlockStrategy, type DeadlockThreadResult, type DeadlockWorkerData } from './deadlock-messages.js'
import { findDeadlock, WaitForTable, type AbandonedLock, type DeadlockKind, type WaitForEdge, type WaitForSnapshot } from './deadlock-wait-for.js'
import { roundMs } from '../measure/round-ms.js'
import { SharedReentrantMutex } from '../sync/reentrant-mutex.js'
import { LabThreadGroup, withinDeadline } from './race-deadlock-threads.js'

export interface DeadlockOptions {
  workers: number
  strategy: DeadlockStrategy
  holdMs: number
  tryLockMs: number
  maxAttempts: number
  watchdogMs: number
  seed: number
}

export interface DeadlockLimits {
  /** LAB_MAX_MS: the whole run, thread start-up included */
  maxMs: number
  signal: AbortSignal
}

export interface WorkerReport {
  worker: number
  /** the locks it takes, in order (the ring: its two locks; double-acquire and reentrant: one lock twice) */
  locks: number[]
  /** held its locks and did its work */
  acquired: boolean
  attempts: number
  backoffs: number
  /** lock() calls that returned, and unlock() calls done */
  acquisitions: number
  releases: number
  /** reentrant: the error of its unlock by a non-owner (CPython's RuntimeError), reported instead of a crash */
  unlockError: string | null
  /** the error the thread died of (never-released, released-in-finally) */
  error: string | null
  terminated: boolean
}

export interface DeadlockReport {
  strategy: DeadlockStrategy
  workers: number
  deadlocked: boolean
  /** cycle: locks in opposite orders; self: a lock taken twice by its holder; abandoned: its holder is gone */
  kind: DeadlockKind | null
  /** worker → lock it waits for → worker holding it → …, as the watchdog found it; [] without a deadlock */
  cycle: WaitForEdge[]
  /** kind abandoned: the lock, its gone owner, the workers left waiting for it */
  abandoned: AbandonedLock | null
  /** all workers: lock() calls that returned, unlock() calls done */
  acquisitions: number
  releases: number
  detectedBy: string | null
  resolvedBy: string | null
  /** gate opened → deadlock found */
  detectedAfterMs: number | null
  /** gate opened → every thread finished or terminated */
  ms: number
  /** spawn → every thread waiting at the gate */
  startupMs: number
  inspections: number
  perWorker: WorkerReport[]
}

/** A consistent picture of the table; a few tries, a turn of the event loop apart, while workers are writing. */
async function consistentSnapshot (table: WaitForTable): Promise<WaitForSnapshot | undefined> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const snapshot = table.snapshot()
    if (snapshot) return snapshot
    await new Promise((resolve) => setImmediate(resolve))
  }
  return undefined
}

/** 'inspect' once `ms` have passed, or 'exited' as soon as every thread has exited. */
async function inspectionDue (exited: Promise<'exited'>, ms: number): Promise<'inspect' | 'exited'> {
  const tick = new AbortController()
  try {
    return await Promise.race([exited, sleep(ms, 'inspect' as const, { signal: tick.signal })])
  } finally {
    tick.abort() // the loser rejects with AbortError; Promise.race has already handled it
  }
}

export async function runDeadlockLab (options: DeadlockOptions, limits: DeadlockLimits): Promise<DeadlockReport> {
  const { workers, strategy, watchdogMs } = options
  const locks = new SharedArrayBuffer(workers * Int32Array.BYTES_PER_ELEMENT)
  const reentrantLock = SharedReentrantMutex.allocate()
  const tableBuffer = WaitForTable.allocate(workers, workers)
  const table = new WaitForTable(tableBuffer, workers, workers)
  const data: DeadlockWorkerData[] = Array.from({ length: workers }, (_, worker) => ({
    worker, workers, strategy, holdMs: options.holdMs, tryLockMs: options.tryLockMs, maxAttempts: options.maxAttempts, seed: options.seed, locks, reentrantLock, table: tableBuffer
  }))

  const spawnedAt = performance.now()
  const group = new LabThreadGroup<DeadlockThreadResult>('lab-deadlock-entry', data)
  let startupMs = 0
  let startedAt = 0
  let endedAt = 0
  let inspections = 0
  let cycle: WaitForEdge[] = []
  let kind: DeadlockKind | null = null
  let abandoned: AbandonedLock | null = null
  let detectedAfterMs: number | null = null
  const terminated = new Set<number>()

  await withinDeadline(group, { what: `deadlock lab (${strategy})`, ms: limits.maxMs, maxMs: limits.maxMs, signal: limits.signal }, async () => {
    await group.ready()
    startupMs = performance.now() - spawnedAt
    startedAt = performance.now()
    group.start()
    const allExited = group.exited().then(() => 'exited' as const)
    while (await inspectionDue(allExited, watchdogMs) === 'inspect') {
      inspections++
      // Who has gone first, the picture second: a thread gone before the picture wrote its last cell before it.
      const gone = new Set([...group.gone(), ...terminated])
      const snapshot = await consistentSnapshot(table)
      const found = snapshot && findDeadlock(snapshot, gone)
      if (!found) continue
      // Only the first finding is the deadlock; later ones are the threads stuck behind the terminated ones' locks.
      if (detectedAfterMs === null) {
        detectedAfterMs = performance.now() - startedAt
        kind = found.kind
        cycle = found.cycle
        abandoned = found.abandoned
      }
      // The stuck threads will never move: end them (a lock they hold stays held — like a killed process's).
      for (const worker of found.stuck) terminated.add(worker)
      await group.terminate(found.stuck)
    }
    endedAt = performance.now()
  })

  const final = table.read()
  const deadlocked = detectedAfterMs !== null
  return {
    strategy,
    workers,
    deadlocked,
    kind,
    cycle,
    abandoned,
    acquisitions: final.rows.reduce((sum, row) => sum + row.acquisitions, 0),
    releases: final.rows.reduce((sum, row) => sum + row.releases, 0),
    detectedBy: deadlocked ? 'watchdog wait-for graph' : null,
    resolvedBy: terminated.size > 0 ? `terminated ${terminated.size} workers` : null,
    detectedAfterMs: detectedAfterMs === null ? null : roundMs(detectedAfterMs),
    ms: roundMs(endedAt - startedAt),
    startupMs: roundMs(startupMs),
    inspections,
    perWorker: final.rows.map((row, worker) => ({
      worker,
      locks: lockOrder(strategy, worker, workers),
      acquired: row.acquired > 0,
      attempts: row.attempts,
      backoffs: row.backoffs,
      acquisitions: row.acquisitions,
      releases: row.releases,
      unlockError: group.result(worker)?.unlockError ?? null,
      error: group.error(worker) ?? null,
      terminated: terminated.has(worker)
    }))
  }
}
