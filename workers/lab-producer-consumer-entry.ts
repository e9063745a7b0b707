/**
 * One thread of the producer/consumer lab, in either role, over the shared bounded queue; the loop is the one the
 * stop style's Python would run (python/producer_consumer.py has the same loops).
 *
 *   main: spawn ──▶ thread: 'ready' ──▶ main: 'go' (to all at once) ──▶ thread takes the GIL (with gil)
 *   producer: put(from … to−1) ─┬─ sentinel: the last producer puts one SENTINEL per consumer
 *                               ├─ join, shutdown: nothing more (main: Queue.join() / Queue.shutdown())
 *                               └─ seed-event: puts all but its last id; the last producer there sets the event;
 *                                  each waits until no consumer can take any more without a put, then puts its last
 *   consumer: sentinel: get() until the SENTINEL · shutdown: get() until ShutDown (QUEUE_STOPPED)
 *             join: get(), handle, task_done() forever (a daemon: main ends it after Queue.join())
 *             seed-event: while not event.is_set() or not q.empty(): get() — the seed's loop
 *   every thread: counts into its stats cells as it goes ──▶ returns: releases the GIL, its clock since go, STATE =
 *   EXITED, 'done'
 */
import { parentPort, workerData } from 'node:worker_threads'
import { ownThreadId, threadClock } from '../src/measure/thread-cpu.js'
import { Gil, noGil, type GilLike } from '../src/sync/gil.js'
import { QUEUE_EMPTY, QUEUE_STOPPED, SharedBoundedQueue } from '../src/sync/bounded-queue.js'
import { Control, NO_CPU_CLOCK, SENTINEL, STAT_CELLS, Stat, ThreadState, type PcThreadToMain, type PcWorkerData } from '../src/labs/producer-consumer-messages.js'

const data = workerData as PcWorkerData
const port = parentPort!
const send = (message: PcThreadToMain) => port.postMessage(message)
const gil: GilLike = data.gil ? new Gil({ id: 'producer-consumer', switchIntervalMs: data.gil.switchIntervalMs, buffer: data.gil.buffer }) : noGil
// Every sleep in the queue drops the GIL, as CPython's Queue does while it waits on its Condition.
const queue = new SharedBoundedQueue(data.queue, { around: (sleep) => gil.blocking(sleep) })
const allStats = new Int32Array(data.stats)
const stats = new Int32Array(data.stats, data.slot * STAT_CELLS * Int32Array.BYTES_PER_ELEMENT, STAT_CELLS)
const control = new Int32Array(data.control)
const sleepCell = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT))

const setState = (state: number) => Atomics.store(stats, Stat.STATE, state)
const eventSet = () => Atomics.load(control, Control.EVENT) === 1

/** Sleeps `ms` without the GIL (time.sleep releases it). */
function sleep (ms: number): void {
  gil.blocking(() => Atomics.wait(sleepCell, 0, 0, ms))
}

/** The work per message: cpu spins holding the GIL (pure-Python work: it switches only when asked), io sleeps without it. */
function work (): void {
  if (data.workUs === 0) return
  if (data.work === 'io') {
    sleep(data.workUs / 1000)
    return
  }
  const until = performance.now() + data.workUs / 1000
  while (performance.now() < until) gil.tick()
}

function recordWaits (): void {
  Atomics.store(stats, Stat.BLOCKED_US, Math.round((queue.putBlockedMs + queue.takeBlockedMs) * 1000))
  Atomics.store(stats, Stat.GIL_WAIT_US, Math.round(gil.waitedMs * 1000))
}

function put (value: number): void {
  setState(ThreadState.PUT_BLOCKING)
  queue.put(value)
  setState(ThreadState.RUNNING)
  gil.tick() // an eval-loop switch point between two statements
}

/** get() (no timeout) or get(timeout=…): QUEUE_EMPTY when it timed out. */
function get (timeoutMs?: number): number {
  setState(timeoutMs === undefined ? ThreadState.GET_BLOCKING : ThreadState.GET_TIMED)
  const value = queue.take(timeoutMs)
  setState(ThreadState.RUNNING)
  recordWaits()
  return value
}

function produce (): void {
  let count = 0
  const putCounted = (id: number) => {
    put(id)
    Atomics.store(stats, Stat.COUNT, ++count)
  }
  if (data.stop !== 'seed-event') {
    for (let id = data.from; id < data.to; id++) putCounted(id)
    if (data.stop === 'sentinel' && Atomics.sub(control, Control.PRODUCERS_LEFT, 1) === 1) {
      // Python's main thread does this after joining the producers; here the last producer does it, because the
      // service's main thread must never block on a full queue.
      for (let consumer = 0; consumer < data.consumers; consumer++) put(SENTINEL)
    }
    return
  }
  // The seed's producer: `while not event.is_set(): pipeline.put(message)`.
  const last = data.to - 1
  for (let id = data.from; id < last && !eventSet(); id++) putCounted(id)
  if (last < data.from) return
  // Its last message is in hand: it has checked is_set() (False) and is about to put — the moment the seed's main
  // thread may set the event. The last producer to get here sets it; every one then waits for the worst case the
  // seed's code allows, made certain: no consumer can take its message any more except by a put that wakes a
  // get() with no timeout (each consumer has left its loop, or sits in such a get() on an empty queue).
  if (Atomics.add(control, Control.ARRIVED, 1) + 1 === data.producers) {
    Atomics.store(control, Control.EVENT, 1)
    Atomics.notify(control, Control.EVENT)
  }
  while (!eventSet()) gil.blocking(() => Atomics.wait(control, Control.EVENT, 0, 10))
  while (!consumersDone()) sleep(1)
  putCounted(last)
}

/** seed-event: every consumer has left its loop, or waits in a get() without timeout that only a put can end. */
function consumersDone (): boolean {
  for (let consumer = 0; consumer < data.consumers; consumer++) {
    const state = Atomics.load(allStats, (data.producers + consumer) * STAT_CELLS + Stat.STATE)
    if (state === ThreadState.EXITED) continue
    if (state === ThreadState.GET_BLOCKING && queue.depth === 0) continue
    return false
  }
  return true
}

function consume (): void {
  // One bit per message id: Atomics.or answers the old word, so a second take of the same id is seen at once.
  const seen = new Int32Array(data.seen)
  let count = 0
  let sum = 0
  let xor = 0
  let duplicates = 0
  let timeouts = 0
  const handle = (id: number) => {
    count++
    sum = (sum + id) >>> 0 // mod 2^32: exact for any message count
    xor ^= id
    const bit = 1 << (id & 31)
    if ((Atomics.or(seen, id >>> 5, bit) & bit) !== 0) duplicates++
    Atomics.store(stats, Stat.COUNT, count)
    Atomics.store(stats, Stat.SUM, sum | 0)
    Atomics.store(stats, Stat.XOR, xor)
    Atomics.store(stats, Stat.DUPLICATES, duplicates)
    work()
    recordWaits()
    gil.tick()
  }
  switch (data.stop) {
    case 'sentinel':
      for (let id = get(); id !== SENTINEL; id = get()) handle(id)
      return
    case 'shutdown':
      for (let id = get(); id !== QUEUE_STOPPED; id = get()) handle(id)
      return
    case 'join':
      // A daemon consumer: it never leaves; Queue.join() in the main thread ends the run, and the process exit ends it.
      for (;;) {
        handle(get())
        queue.taskDone()
      }
    case 'seed-event': {
      const timeoutMs = data.getTimeoutMs > 0 ? data.getTimeoutMs : undefined
      // The seed's loop. Between empty() and get() another consumer may take the last item: this one then waits
      // in get() for a put that may never come (with a timeout it waits that long, then checks again).
      while (!eventSet() || queue.depth !== 0) {
        const id = get(timeoutMs)
        if (id === QUEUE_EMPTY) {
          Atomics.store(stats, Stat.TIMEOUTS, ++timeouts)
          continue
        }
        handle(id)
      }
    }
  }
}

const thread = ownThreadId()
/** This thread's clock in µs (its own start-up stays well inside an Int32 cell), or NO_CPU_CLOCK in both. */
function clockUs (): [run: number, coreWait: number] {
  const clock = threadClock(thread)
  return clock ? [Math.round(clock.runMs * 1000), Math.round(clock.coreWaitMs * 1000)] : [NO_CPU_CLOCK, NO_CPU_CLOCK]
}

port.once('message', () => {
  const [runAtGo, waitAtGo] = clockUs()
  Atomics.store(stats, Stat.CPU_AT_GO_US, runAtGo)
  Atomics.store(stats, Stat.CORE_WAIT_AT_GO_US, waitAtGo)
  gil.acquire() // a Python thread runs only holding the GIL
  if (data.role === 'producer') produce()
  else consume()
  recordWaits()
  gil.release()
  const [run, wait] = clockUs()
  const clocked = runAtGo !== NO_CPU_CLOCK && run !== NO_CPU_CLOCK
  Atomics.store(stats, Stat.CPU_US, clocked ? run - runAtGo : NO_CPU_CLOCK)
  Atomics.store(stats, Stat.CORE_WAIT_US, clocked ? wait - waitAtGo : NO_CPU_CLOCK)
  setState(ThreadState.EXITED)
  send({ type: 'done' })
})
send({ type: 'ready', thread })
