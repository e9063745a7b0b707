/**
 * A thread of the race lab: waits at the start gate, then updates the shared counter (or the shared "database
 * record") with its strategy, and posts when it started and ended.
 *
 *   main: spawn ──▶ thread: 'ready', sleeps on the gate ──▶ main: gate opens (all threads at once)
 *   thread: loop on cells[COUNTER] ──▶ 'result' { startedAt, endedAt } ──▶ returns and exits (joined by main)
 */
import { parentPort, workerData } from 'node:worker_threads'
import type { LabThreadMessage } from '../src/labs/lab-thread-message.js'
import { StartGate } from '../src/sync/start-gate.js'
import { RaceCell, type RaceThreadResult, type RaceWorkerData } from '../src/labs/race-messages.js'
import { SharedMutex } from '../src/sync/mutex.js'

const data = workerData as RaceWorkerData & { gate: SharedArrayBuffer }
const cells = new Int32Array(data.memory)
const mutex = new SharedMutex(data.memory, RaceCell.MUTEX * Int32Array.BYTES_PER_ELEMENT)
const send = (message: LabThreadMessage<RaceThreadResult>) => parentPort!.postMessage(message)

/**
 * Plain read-modify-write: load the cell, add one, store it. Another thread can store between this thread's
 * load and store; one of the two increments is then overwritten (a lost update). The JIT may also keep the value
 * in a register between iterations, which loses more: nothing in a plain access promises other threads see it.
 */
function unsafeIncrements (count: number): void {
  for (let i = 0; i < count; i++) cells[RaceCell.COUNTER] = (cells[RaceCell.COUNTER] as number) + 1
}

/** One indivisible read-modify-write (a `lock xadd` on x86): no update can be lost. */
function atomicIncrements (count: number): void {
  for (let i = 0; i < count; i++) Atomics.add(cells, RaceCell.COUNTER, 1)
}

/** The same plain read-modify-write, but only one thread at a time runs it (the lock orders the accesses too). */
function mutexIncrements (count: number): void {
  for (let i = 0; i < count; i++) {
    mutex.lock()
    cells[RaceCell.COUNTER] = (cells[RaceCell.COUNTER] as number) + 1
    mutex.unlock()
  }
}

/**
 * The seed's version: read the balance, wait (a database round trip), write balance + 1. The read and the write
 * are each atomic; the race is between them — every thread that read the same balance writes the same value.
 * With the lock, read → wait → write is one critical section and the threads queue for it.
 */
function recordUpdates (updates: number, delayMs: number, locked: boolean): void {
  for (let i = 0; i < updates; i++) {
    if (locked) mutex.lock()
    const balance = Atomics.load(cells, RaceCell.COUNTER)
    if (delayMs > 0) Atomics.wait(cells, RaceCell.PAUSE, 0, delayMs)
    Atomics.store(cells, RaceCell.COUNTER, balance + 1)
    if (locked) mutex.unlock()
  }
}

const strategies = { unsafe: unsafeIncrements, atomic: atomicIncrements, mutex: mutexIncrements }

send({ type: 'ready' })
new StartGate(data.gate).pass()
const startedAt = performance.timeOrigin + performance.now()
if (data.kind === 'counter') strategies[data.strategy](data.increments)
else recordUpdates(data.updates, data.delayMs, data.locked)
send({ type: 'result', result: { startedAt, endedAt: performance.timeOrigin + performance.now() } })
