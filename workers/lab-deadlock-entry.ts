/**
 * A thread of the deadlock lab: takes its locks with the run's strategy, publishing every hold and wait in the
 * wait-for table before it blocks (see deadlock-wait-for.ts for the protocol), and reports whether it got them.
 *
 *   main: spawn ──▶ thread: 'ready', sleeps on the gate ──▶ main: gate opens (all threads at once)
 *   ring:   lock first ─ holdMs ─ lock second ─ work ─ unlock both ──▶ 'result' ──▶ exits (joined by main)
 *           (deadlocked: it never gets past "lock second"; the watchdog sees the cycle and terminates it)
 *   double-acquire:      lock own ─ holdMs ─ lock own again: waits for itself forever (kind self)
 *   reentrant:           rlock ─ rlock ─ holdMs ─ unlock ─ unlock ─ unlock once more: refused, reported
 *   never-released:      lock 0 ─ holdMs ─ throw: the thread dies holding it; the others wait on (kind abandoned)
 *   released-in-finally: lock 0 ─ holdMs ─ throw, unlock in finally: each waiter gets it in turn
 */
import { parentPort, workerData } from 'node:worker_threads'
import type { LabThreadMessage } from '../src/labs/lab-thread-message.js'
import { StartGate } from '../src/sync/start-gate.js'
import { backoffMs, lockOrder, type DeadlockThreadResult, type DeadlockWorkerData } from '../src/labs/deadlock-messages.js'
import { WaitForTable } from '../src/labs/deadlock-wait-for.js'
import { SharedMutex } from '../src/sync/mutex.js'
import { SharedReentrantMutex } from '../src/sync/reentrant-mutex.js'
import { seededRandom } from '../src/workloads/seeded-random.js'

const data = workerData as DeadlockWorkerData & { gate: SharedArrayBuffer }
const { worker, workers, strategy, holdMs, tryLockMs, maxAttempts } = data
const table = new WaitForTable(data.table, workers, workers)
const mutexes = Array.from({ length: workers }, (_, lock) => new SharedMutex(data.locks, lock * Int32Array.BYTES_PER_ELEMENT))
const rlock = new SharedReentrantMutex(data.reentrantLock, worker)
const [first = 0, second = 0] = lockOrder(strategy, worker, workers)
const random = seededRandom(data.seed, worker)
const send = (message: LabThreadMessage<DeadlockThreadResult>) => parentPort!.postMessage(message)

/** A private cell nobody notifies: Atomics.wait on it with a timeout sleeps this thread (not the main thread). */
const sleepCell = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT))
function sleep (ms: number): void {
  if (ms > 0) Atomics.wait(sleepCell, 0, 0, ms)
}

/** Protocol steps 1 and 2: say what we wait for, block, then say we own it. */
function take (lock: number): void {
  table.waitsFor(worker, lock, false)
  mutexes[lock]!.lock()
  table.acquired(worker, lock)
  table.count(worker, 'acquisitions')
}

/** Steps 1, 2 or 3 with a timed wait: true when the lock is ours. */
function tryTake (lock: number): boolean {
  table.waitsFor(worker, lock, true)
  if (mutexes[lock]!.tryLock(tryLockMs)) {
    table.acquired(worker, lock)
    table.count(worker, 'acquisitions')
    return true
  }
  table.gaveUp(worker)
  return false
}

/** Step 4: unpublish, then unlock. */
function release (lock: number): void {
  table.releasing(worker, lock)
  mutexes[lock]!.unlock()
  table.count(worker, 'releases')
}

/** The critical section that needs both locks (the "transfer between two accounts"). */
function work (): void {
  table.count(worker, 'acquired')
  release(second)
  release(first)
}

/** opposite-order and ordered: block on each lock for as long as it takes (forever, in a deadlock). */
function blocking (): boolean {
  table.count(worker, 'attempts')
  take(first)
  sleep(holdMs) // the others take their first locks meanwhile
  take(second)
  work()
  return true
}

/** timeout: never block for longer than tryLockMs; on failure give everything back, back off, retry. */
function withTimeouts (): boolean {
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    table.count(worker, 'attempts')
    if (tryTake(first)) {
      sleep(holdMs)
      if (tryTake(second)) {
        work()
        return true
      }
      release(first)
    }
    if (attempt < maxAttempts) {
      table.count(worker, 'backoffs')
      sleep(backoffMs(attempt, holdMs, tryLockMs, random))
    }
  }
  return false
}

/** double-acquire: a plain (non-reentrant) lock taken twice by its holder — Python's Lock.acquire() twice. */
function doubleAcquire (): boolean {
  table.count(worker, 'attempts')
  take(first)
  sleep(holdMs)
  take(first) // waits for itself: nobody else will ever unlock it
  return true
}

/** The RLock: publish a wait and the ownership only on the first take (a re-take by the owner never blocks). */
function rtake (): void {
  const outer = rlock.owner !== worker
  if (outer) table.waitsFor(worker, 0, false)
  rlock.lock()
  if (outer) table.acquired(worker, 0)
  table.count(worker, 'acquisitions')
}

/** The last release clears OWNER first (protocol step 4); an inner one only counts down. */
function rrelease (): void {
  if (rlock.count === 1) table.releasing(worker, 0)
  rlock.unlock()
  table.count(worker, 'releases')
}

/** reentrant: take the RLock twice (a locked function calling another), give it back twice, then once too often. */
function reentrant (): DeadlockThreadResult {
  table.count(worker, 'attempts')
  rtake()
  rtake()
  sleep(holdMs)
  table.count(worker, 'acquired')
  rrelease()
  rrelease()
  try {
    rlock.unlock() // not ours any more: CPython raises RuntimeError here
    return { acquired: true }
  } catch (error) {
    table.count(worker, 'unlockErrors')
    return { acquired: true, unlockError: (error as Error).message }
  }
}

/** never-released and released-in-finally: lock 0, some work that throws; the thread dies of the error. */
function holdAndThrow (releaseInFinally: boolean): never {
  table.count(worker, 'attempts')
  take(0)
  try {
    table.count(worker, 'acquired')
    sleep(holdMs)
    throw new Error(`worker ${worker} threw while holding lock 0 (${releaseInFinally ? 'released in finally' : 'never released'})`)
  } finally {
    if (releaseInFinally) release(0)
  }
}

function run (): DeadlockThreadResult {
  switch (strategy) {
    case 'timeout': return { acquired: withTimeouts() }
    case 'double-acquire': return { acquired: doubleAcquire() }
    case 'reentrant': return reentrant()
    case 'never-released': return holdAndThrow(false)
    case 'released-in-finally': return holdAndThrow(true)
    default: return { acquired: blocking() }
  }
}

send({ type: 'ready' })
new StartGate(data.gate).pass()
send({ type: 'result', result: run() })
