/**
 * The producer/consumer lab: producer threads put message ids into a bounded queue in shared memory, consumer
 * threads take them; shutdown by an event (the seed's `Queue` + `Event`), done right.
 *
 *   main ──spawn──▶ P0…Pn, C0…Cm ──'ready'──▶ main ──'go'──▶ all
 *   Pi: put(ids of its share) ──'done'──▶ main ── last producer done ──▶ queue.stop()  (event.set())
 *   Cj: take() until the queue is stopped AND empty ──'done' (count, checksums)──▶ main ── last one ──▶ report
 *
 * The main thread never takes the queue's mutex (stop() is a store and a notify), so it never blocks. Every run
 * is bounded by LAB_MAX_MS: past it, every thread is terminated and the run answers LAB_TIMED_OUT.
 */
import { availableParallelism } from 'node:os'
import type { Config } from '../config.js'
import { LabTimedOut, ShuttingDown } from '../errors.js'
import { WorkerGroup } from '../threads/worker-group.js'
import { threadHandle } from '../threads/worker-handle.js'
import { workerFile } from '../threads/worker-files.js'
import { SharedBoundedQueue } from '../sync/bounded-queue.js'

export type PcRole = 'producer' | 'consumer'

export interface ProducerConsumerSpec {
  producers: number
  consumers: number
  capacity: number
  messages: number
  /** busy work per message on the consumer, in µs */
  workUs: number
}

/** What one thread gets: its role, the queue, the consumed-ids bitmap and (producers) its share of ids. */
export interface PcWorkerData {
  role: PcRole
  index: number
  queue: SharedArrayBuffer
  /** one bit per message id, set by the consumer that took it */
  seen: SharedArrayBuffer
  /** producers put ids from … to − 1; consumers ignore them */
  from: number
  to: number
  workUs: number
}

export type PcThreadToMain =
  | { type: 'ready' }
  | {
    type: 'done'
    role: PcRole
    index: number
    /** messages put (producer) or taken (consumer) */
    count: number
    /** ms waiting on a full queue (producer) or an empty one (consumer) */
    blockedMs: number
    /** consumer: sum of the ids it took, mod 2^32 */
    sum: number
    /** consumer: xor of the ids it took */
    xor: number
    /** consumer: ids it took that another take had already taken */
    duplicates: number
  }

export interface PcWorkerReport { role: PcRole, index: number, count: number, blockedMs: number }

export interface ProducerConsumerReport extends ProducerConsumerSpec {
  produced: number
  consumed: number
  /** produced ids that no consumer took (must be 0) */
  lost: number
  /** takes of an id already taken (must be 0) */
  duplicates: number
  /** items still queued when every consumer had left (the seed's bug: must be 0) */
  leftInQueue: number
  checksum: { sum: number, expectedSum: number, xor: number, expectedXor: number }
  /** every id 0 … messages − 1 consumed exactly once: counts, bitmap and checksums agree */
  verified: boolean
  maxDepth: number
  producerBlockedMs: number
  consumerBlockedMs: number
  /** from 'go' to the last consumer's 'done' */
  ms: number
  /** from the first spawn to every thread ready (not part of ms) */
  startupMs: number
  messagesPerSecond: number
  workers: PcWorkerReport[]
}

const TWO_TO_32 = 4_294_967_296

/** xor of 0 … n − 1. */
function xorUpTo (n: number): number {
  const last = n - 1
  if (last < 0) return 0
  return [last, 1, last + 1, 0][last % 4]!
}

function popcount (words: Int32Array): number {
  let bits = 0
  for (let word of words) {
    while (word !== 0) {
      word &= word - 1
      bits++
    }
  }
  return bits
}

/**
 * Rules across fields: refuse at once a run whose busy work alone cannot fit in LAB_MAX_MS (messages × workUs
 * spread over at most min(consumers, cores) cores), instead of letting it time out.
 */
export function checkProducerConsumerSpec (spec: ProducerConsumerSpec, config: Config, cores = availableParallelism()): string | undefined {
  const parallel = Math.min(spec.consumers, cores)
  const leastMs = spec.messages * spec.workUs / 1000 / parallel
  if (leastMs > config.LAB_MAX_MS) {
    return `body/messages × body/workUs is at least ${Math.round(leastMs)} ms of work on ${parallel} core(s), more than LAB_MAX_MS (${config.LAB_MAX_MS}); lower messages or workUs`
  }
  return undefined
}

/**
 * Runs one experiment and answers its report, or rejects with LabTimedOut (past `maxMs`), ShuttingDown (`signal`
 * aborted) or an Error when a thread fails. Every thread has exited when the promise settles.
 */
export function runProducerConsumer (spec: ProducerConsumerSpec, options: { maxMs: number, signal?: AbortSignal }): Promise<ProducerConsumerReport> {
  const { producers, consumers, messages } = spec
  const queueBuffer = SharedBoundedQueue.allocate(spec.capacity)
  const queue = new SharedBoundedQueue(queueBuffer)
  const seenBuffer = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT * Math.ceil(messages / 32))
  const seen = new Int32Array(seenBuffer)
  const reports: Extract<PcThreadToMain, { type: 'done' }>[] = []
  /** slots that posted 'done' */
  const done = new Set<number>()
  const spawnedAt = performance.now()
  let startupMs = 0
  let goAt = 0
  let producersLeft = producers
  let consumersLeft = consumers
  // Slots 0 … producers − 1 are the producers, the rest the consumers.
  const roleOf = (slot: number): { role: PcRole, index: number } =>
    slot < producers ? { role: 'producer', index: slot } : { role: 'consumer', index: slot - producers }

  return new Promise<ProducerConsumerReport>((resolve, reject) => {
    let outcome: { error: Error } | { report: ProducerConsumerReport } | undefined
    let allGone = false
    const settle = () => {
      if (!outcome || !allGone) return
      if ('error' in outcome) reject(outcome.error)
      else resolve(outcome.report)
    }

    // Decides once: clears the deadline, then joins every thread (the promise settles when the last is gone).
    const finish = (result: NonNullable<typeof outcome>) => {
      if (outcome) return
      outcome = result
      clearTimeout(deadline)
      options.signal?.removeEventListener('abort', onAbort)
      group.kill()
      settle()
    }
    const deadline = setTimeout(() => finish({ error: new LabTimedOut('the producer/consumer run', options.maxMs, ` after ${popcount(seen)} of ${messages} messages had been consumed`) }), options.maxMs)
    const onAbort = () => finish({ error: new ShuttingDown() })
    options.signal?.addEventListener('abort', onAbort, { once: true })

    const onDone = (message: Extract<PcThreadToMain, { type: 'done' }>) => {
      reports.push(message)
      if (message.role === 'producer') {
        // The seed's `event.set()`, only after every producer has finished: consumers now drain and leave.
        if (--producersLeft === 0) queue.stop()
      } else if (--consumersLeft === 0) {
        finish({ report: buildReport(spec, queue, seen, reports, performance.now() - goAt, startupMs) })
      }
    }

    const group: WorkerGroup<PcThreadToMain> = new WorkerGroup<PcThreadToMain>('labs', {
      isReady: (message) => message.type === 'ready',
      onAllReady: (threads) => {
        if (threads.length < producers + consumers) return // one died before it was ready: onGone ends the run
        startupMs = performance.now() - spawnedAt
        goAt = performance.now()
        for (const thread of threads) thread.handle.send('go')
      },
      onMessage: (thread, message) => {
        if (message.type !== 'done') return
        done.add(thread.slot)
        onDone(message)
      },
      onGone: (thread, { how }) => {
        const { role, index } = roleOf(thread.slot)
        if (!done.has(thread.slot)) finish({ error: new Error(`${role} ${index} ${how} before it finished`) })
      },
      onAllGone: () => {
        allGone = true
        settle()
      }
    })
    group.spawnAll(producers + consumers, (slot) => {
      const { role, index } = roleOf(slot)
      const [from, to] = role === 'producer'
        ? [Math.floor(index * messages / producers), Math.floor((index + 1) * messages / producers)]
        : [0, 0]
      const workerData: PcWorkerData = { role, index, queue: queueBuffer, seen: seenBuffer, from, to, workUs: spec.workUs }
      return threadHandle<PcThreadToMain>(workerFile('lab-producer-consumer-entry'), { workerData })
    })
    if (group.spawnFailure) finish({ error: group.spawnFailure })
  })
}

function buildReport (spec: ProducerConsumerSpec, queue: SharedBoundedQueue, seen: Int32Array,
  reports: Extract<PcThreadToMain, { type: 'done' }>[], ms: number, startupMs: number): ProducerConsumerReport {
  const of = (role: PcRole) => reports.filter((report) => report.role === role)
  const total = (list: typeof reports, pick: (report: typeof reports[number]) => number) => list.reduce((sum, report) => sum + pick(report), 0)
  const producers = of('producer')
  const consumers = of('consumer')
  const produced = total(producers, (report) => report.count)
  const consumed = total(consumers, (report) => report.count)
  const duplicates = total(consumers, (report) => report.duplicates)
  const distinct = popcount(seen)
  const sum = total(consumers, (report) => report.sum) % TWO_TO_32
  const expectedSum = Number((BigInt(spec.messages) * BigInt(spec.messages - 1) / 2n) % BigInt(TWO_TO_32))
  const xor = consumers.reduce((acc, report) => acc ^ report.xor, 0)
  const expectedXor = xorUpTo(spec.messages)
  const leftInQueue = queue.depth
  const lost = produced - distinct
  const rank = (report: PcWorkerReport) => (report.role === 'producer' ? 0 : 1)
  const byRoleAndIndex = (a: PcWorkerReport, b: PcWorkerReport) => rank(a) - rank(b) || a.index - b.index
  return {
    ...spec,
    produced,
    consumed,
    lost,
    duplicates,
    leftInQueue,
    checksum: { sum, expectedSum, xor, expectedXor },
    verified: produced === spec.messages && consumed === spec.messages && distinct === spec.messages &&
      lost === 0 && duplicates === 0 && leftInQueue === 0 && sum === expectedSum && xor === expectedXor,
    maxDepth: queue.maxDepth,
    producerBlockedMs: total(producers, (report) => report.blockedMs),
    consumerBlockedMs: total(consumers, (report) => report.blockedMs),
    ms,
    startupMs,
    messagesPerSecond: ms > 0 ? spec.messages / (ms / 1000) : 0,
    workers: reports.map(({ role, index, count, blockedMs }) => ({ role, index, count, blockedMs })).sort(byRoleAndIndex)
  }
}
