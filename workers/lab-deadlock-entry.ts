/**
 * A thread of the deadlock lab: takes its two locks with the run's strategy, publishing every hold and wait in the
 * wait-for table before it blocks (see deadlock-wait-for.ts for the protocol), and reports whether it got both.
 *
 *   main: spawn ──▶ thread: 'ready', sleeps on the gate ──▶ main: gate opens (all threads at once)
 *   thread: lock first ─ holdMs ─ lock second ─ work ─ unlock both ──▶ 'result' ──▶ exits (joined by main)
 *   (deadlocked: it never gets past "lock second"; the watchdog sees the cycle in the table and terminates it)
 */
import { parentPort, workerData } from 'node:worker_threads'
import type { LabThreadMessage } from '../src/labs/lab-thread-message.js'
import { StartGate } from '../src/sync/start-gate.js'
import { backoffMs, lockOrder, type DeadlockThreadResult, type DeadlockWorkerData } from '../src/labs/deadlock-messages.js'
import { WaitForTable } from '../src/labs/deadlock-wait-for.js'
import { SharedMutex } from '../src/sync/mutex.js'
import { seededRandom } from '../src/workloads/seeded-random.js'

const data = workerData as DeadlockWorkerData & { gate: SharedArrayBuffer }
const { worker, workers, strategy, holdMs, tryLockMs, maxAttempts } = data
const table = new WaitForTable(data.table, workers, workers)
const mutexes = Array.from({ length: workers }, (_, lock) => new SharedMutex(data.locks, lock * Int32Array.BYTES_PER_ELEMENT))
const [first, second] = lockOrder(strategy, worker, workers)
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
}

/** Steps 1, 2 or 3 with a timed wait: true when the lock is ours. */
function tryTake (lock: number): boolean {
  table.waitsFor(worker, lock, true)
  if (mutexes[lock]!.tryLock(tryLockMs)) {
    table.acquired(worker, lock)
    return true
  }
  table.gaveUp(worker)
  return false
}

/** Step 4: unpublish, then unlock. */
function release (lock: number): void {
  table.releasing(worker, lock)
  mutexes[lock]!.unlock()
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

send({ type: 'ready' })
new StartGate(data.gate).pass()
send({ type: 'result', result: { acquired: strategy === 'timeout' ? withTimeouts() : blocking() } })
