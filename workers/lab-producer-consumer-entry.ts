/**
 * One thread of the producer/consumer lab, in either role, over the shared bounded queue.
 *
 *   main: spawn ──▶ thread: 'ready' ──▶ main: 'go' (to all at once)
 *   producer: put(from … to−1) ──▶ 'done'          main: every producer done ──▶ queue.stop() (the event)
 *   consumer: take() until QUEUE_STOPPED (stopped AND empty) ──▶ 'done' ──▶ main: join (terminate + 'exit')
 */
import { parentPort, workerData } from 'node:worker_threads'
import { QUEUE_STOPPED, SharedBoundedQueue } from '../src/sync/bounded-queue.js'
import type { PcThreadToMain, PcWorkerData } from '../src/labs/producer-consumer.js'

const { role, index, queue: queueBuffer, seen: seenBuffer, from, to, workUs } = workerData as PcWorkerData
const port = parentPort!
const queue = new SharedBoundedQueue(queueBuffer)
const send = (message: PcThreadToMain) => port.postMessage(message)

/** Busy work standing in for handling a message: spins `us` microseconds on this thread. */
function busy (us: number): void {
  const until = performance.now() + us / 1000
  while (performance.now() < until);
}

function produce (): void {
  for (let id = from; id < to; id++) queue.put(id)
  send({ type: 'done', role, index, count: to - from, blockedMs: queue.putBlockedMs, sum: 0, xor: 0, duplicates: 0 })
}

function consume (): void {
  // One bit per message id: Atomics.or answers the old word, so a second take of the same id is seen at once.
  const seen = new Int32Array(seenBuffer)
  let count = 0
  let sum = 0
  let xor = 0
  let duplicates = 0
  for (;;) {
    const id = queue.take()
    if (id === QUEUE_STOPPED) break
    count++
    sum = (sum + id) >>> 0 // mod 2^32: exact for any message count
    xor ^= id
    const bit = 1 << (id & 31)
    if ((Atomics.or(seen, id >>> 5, bit) & bit) !== 0) duplicates++
    if (workUs > 0) busy(workUs)
  }
  send({ type: 'done', role, index, count, blockedMs: queue.takeBlockedMs, sum, xor, duplicates })
}

port.once('message', () => (role === 'producer' ? produce() : consume()))
send({ type: 'ready' })
