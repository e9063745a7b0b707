/**
 * A thread of the race lab: waits at the start gate, then updates the shared counter (or the shared "database
 * record") with its strategy, and posts when it started and ended.
 *
 *   main: spawn ──▶ thread: 'ready', sleeps on the gate ──▶ main: gate opens (all threads at once)
 *   thread: [gil: acquire the run's GIL] loop on cells[COUNTER] [release] ──▶ 'result' { startedAt, endedAt } ──▶ exits
 *
 * With `gil`, the threads share one emulated GIL (src/sync/gil.ts) and may hand it over only where CPython 3.10+'s
 * eval loop checks for a drop request in these statements: at a loop's backward jump and at a Python function's
 * entry (its RESUME; CPython also checks as a C call returns, and no strategy calls C code between a read and its
 * write). So a plain `x += 1` (read, add, write, then the back-edge) is never split by a switch, and `x = x + one()`
 * is: the call sits between the read and the write. Blocking waits (the record's sleep, a taken lock) release the GIL, as
 * time.sleep and Lock.acquire do.
 */
import { parentPort, workerData } from 'node:worker_threads'
import type { LabThreadMessage } from '../src/labs/lab-thread-message.js'
import { StartGate } from '../src/sync/start-gate.js'
import { RaceCell, type RaceThreadResult, type RaceWorkerData } from '../src/labs/race-messages.js'
import { SharedMutex } from '../src/sync/mutex.js'
import { Gil, noGil, type GilLike } from '../src/sync/gil.js'

const data = workerData as RaceWorkerData & { gate: SharedArrayBuffer }
const cells = new Int32Array(data.memory)
const mutex = new SharedMutex(data.memory, RaceCell.MUTEX * Int32Array.BYTES_PER_ELEMENT)
const gil: GilLike = data.gil ? new Gil({ id: 'race lab', ...data.gil }) : noGil
const send = (message: LabThreadMessage<RaceThreadResult>) => parentPort!.postMessage(message)

/**
 * A loop's backward jump. With the GIL it is a switch point (gil.tick(): hand the GIL over if a waiter asked);
 * without it nothing happens there, as in C code or free-threaded CPython, where every thread runs all the time.
 */
const backEdge: () => void = data.gil ? () => gil.tick() : () => {}

/**
 * Python's `one()`: a call whose entry checks for a drop request. With the GIL that is gil.tick(), so another
 * thread may run whole switch intervals between the caller's read and its write. Without the GIL it loads a flag
 * nobody sets (free-threaded CPython still checks its eval breaker there): the call only takes a little time between
 * the read and the write, and the JIT cannot keep the counter in a register across it.
 */
const one: () => number = data.gil
  ? () => { gil.tick(); return 1 }
  : () => 1 + Atomics.load(cells, RaceCell.BREAKER)

/**
 * CPython's Lock.acquire: try without letting go of the GIL; if the lock is taken, wait for it with the GIL
 * released (a thread waiting on a lock while holding the GIL would stop the holder from ever releasing it).
 */
const lock: () => void = data.gil
  ? () => { if (!mutex.tryLock(0)) gil.blocking(() => mutex.lock()) }
  : () => mutex.lock()

/**
 * `x += 1`: load the cell, add one, store it. Without the GIL another thread can store between this thread's load
 * and store; one of the two increments is then overwritten (a lost update) — the free-threaded 3.13t / C case. The
 * JIT may also keep the value in a register between iterations, which loses more: nothing in a plain access
 * promises other threads see it. With the GIL the only switch point is the back-edge, after the store: none is lost.
 */
function unsafeIncrements (count: number): void {
  for (let i = 0; i < count; i++) {
    cells[RaceCell.COUNTER] = (cells[RaceCell.COUNTER] as number) + 1
    backEdge()
  }
}

/**
 * `x = x + one()`: the read, then a call, then the write (JS, like Python, evaluates the left operand first). With
 * the GIL the call (its entry) is a switch point between the read and the write: every increment other threads make
 * while this one is switched out is overwritten by its stale value + 1 (CPython 3.12 lost 443 k of 800 k).
 */
function unsafeCallIncrements (count: number): void {
  for (let i = 0; i < count; i++) {
    cells[RaceCell.COUNTER] = (cells[RaceCell.COUNTER] as number) + one()
    backEdge()
  }
}

/** One indivisible read-modify-write (a `lock xadd` on x86): no update can be lost. Python has no equivalent. */
function atomicIncrements (count: number): void {
  for (let i = 0; i < count; i++) {
    Atomics.add(cells, RaceCell.COUNTER, 1)
    backEdge()
  }
}

/** `with lock: x += 1`: the same plain read-modify-write, one thread at a time (the lock orders the accesses too). */
function mutexIncrements (count: number): void {
  for (let i = 0; i < count; i++) {
    lock()
    cells[RaceCell.COUNTER] = (cells[RaceCell.COUNTER] as number) + 1
    mutex.unlock()
    backEdge()
  }
}

/**
 * The seed's version: read the balance, wait (a database round trip), write balance + 1. The read and the write
 * are each atomic; the race is between them — every thread that read the same balance writes the same value.
 * The wait releases the GIL (time.sleep does), so the GIL does not help here. With the lock, read → wait → write
 * is one critical section and the threads queue for it.
 */
function recordUpdates (updates: number, delayMs: number, locked: boolean): void {
  for (let i = 0; i < updates; i++) {
    if (locked) lock()
    const balance = Atomics.load(cells, RaceCell.COUNTER)
    if (delayMs > 0) gil.blocking(() => Atomics.wait(cells, RaceCell.PAUSE, 0, delayMs))
    Atomics.store(cells, RaceCell.COUNTER, balance + 1)
    if (locked) mutex.unlock()
    backEdge()
  }
}

const strategies = { unsafe: unsafeIncrements, 'unsafe-call': unsafeCallIncrements, atomic: atomicIncrements, mutex: mutexIncrements }

send({ type: 'ready' })
new StartGate(data.gate).pass()
gil.acquire() // a Python thread needs the GIL to run its first bytecode
const startedAt = performance.timeOrigin + performance.now()
if (data.kind === 'counter') strategies[data.strategy](data.increments)
else recordUpdates(data.updates, data.delayMs, data.locked)
const endedAt = performance.timeOrigin + performance.now()
gil.release()
send({ type: 'result', result: { startedAt, endedAt } })
