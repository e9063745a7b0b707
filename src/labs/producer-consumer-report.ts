/**
 * The producer/consumer lab's report, read from shared memory once the run has ended: the threads' stats cells (so a
 * thread that never returned — stuck, or a daemon — still counts), the consumed-ids bitmap and the queue.
 */
import type { ThreadClock } from '../measure/thread-cpu.js'
import type { SharedBoundedQueue } from '../sync/bounded-queue.js'
import { STAT_CELLS, Stat, type PcRole } from './producer-consumer-messages.js'
import type { ProducerConsumerSpec } from './producer-consumer.js'

/** How the run ended: every thread returned; Queue.join() returned (daemon consumers ended); or stuck threads ended. */
export type Ending = 'returned' | 'joined' | 'stuck'
export type ThreadEnd = 'returned' | 'stuck' | 'daemon'

export interface PcWorkerReport {
  role: PcRole
  index: number
  /** messages this thread put or took */
  count: number
  blockedMs: number
  gilWaitMs: number
  /** from go to its end (Linux: its scheduler clock): ran on a CPU, ms; null where the clock cannot be read */
  cpuMs: number | null
  /** runnable but waiting for a core, ms (other load); null where the clock cannot be read */
  coreWaitMs: number | null
  /** seed-event: get(timeout=…) calls that timed out */
  timeouts: number
  ended: ThreadEnd
}

export interface ProducerConsumerReport extends ProducerConsumerSpec {
  produced: number
  consumed: number
  /** produced ids that no consumer took (0 when correct) */
  lost: number
  /** takes of an id already taken (0 when correct) */
  duplicates: number
  /** items still queued at the end */
  leftInQueue: number
  /** consumers still waiting in get() that nothing could wake: their threads were terminated */
  stuck: number
  /** producers still waiting in put() on a full queue nobody takes from */
  stuckProducers: number
  /** seed-event: get(timeout=…) calls that timed out, all consumers */
  timeouts: number
  ending: Ending
  checksum: { sum: number, expectedSum: number, xor: number, expectedXor: number }
  /** every id 0 … messages − 1 consumed exactly once, nothing left, nobody stuck */
  verified: boolean
  maxDepth: number
  producerBlockedMs: number
  consumerBlockedMs: number
  /** time the threads waited for the GIL, summed (0 without it) */
  gilWaitMs: number
  /** CPU time of the consumers, summed: ÷ ms = the cores they kept busy at once (null where it cannot be read) */
  consumerCpuMs: number | null
  /** the consumers' waits for a core, summed: with consumerCpuMs, ÷ ms = how many were running or waiting for a core at once */
  consumerCoreWaitMs: number | null
  /** from 'go' to the end (the last thread returned, Queue.join() returned, or the watchdog's stuck verdict) */
  ms: number
  startupMs: number
  messagesPerSecond: number
  /** what this run shows, in a sentence */
  lesson: string
  workers: PcWorkerReport[]
}

export interface RunState {
  queue: SharedBoundedQueue
  seen: Int32Array
  stats: Int32Array
  /** slots that returned */
  returned: Set<number>
  ending: Ending
  ms: number
  startupMs: number
  /** per slot: its clock from go to the end (null: no per-thread clock) */
  clocks: Array<ThreadClock | null>
}

const TWO_TO_32 = 4_294_967_296

/** xor of 0 … n − 1. */
function xorUpTo (n: number): number {
  const last = n - 1
  if (last < 0) return 0
  return [last, 1, last + 1, 0][last % 4]!
}

export function popcount (words: Int32Array): number {
  let bits = 0
  for (let i = 0; i < words.length; i++) {
    let word = Atomics.load(words, i)
    while (word !== 0) {
      word &= word - 1
      bits++
    }
  }
  return bits
}

function lessonOf (spec: ProducerConsumerSpec, report: Pick<ProducerConsumerReport, 'lost' | 'stuck' | 'stuckProducers' | 'verified' | 'timeouts'>): string {
  if (spec.stop === 'seed-event') {
    const parts = [
      report.lost > 0 ? `${report.lost} message(s) put after the event were never consumed (every consumer had already seen the event and an empty queue)` : '',
      report.stuck > 0 ? `${report.stuck} consumer(s) waited forever in get() (they had seen a non-empty queue, another took the item)` : '',
      report.stuckProducers > 0 ? `${report.stuckProducers} producer(s) waited forever in put() on a full queue nobody takes from` : '',
      report.timeouts > 0 ? `get(timeout=…) timed out ${report.timeouts} time(s)` : ''
    ].filter(Boolean)
    return `The seed's stop: the event says "stop soon", not "nothing more will be put": ${parts.join('; ') || 'this time nothing went wrong'}.`
  }
  const stops: Record<Exclude<typeof spec.stop, 'seed-event'>, string> = {
    sentinel: 'one sentinel per consumer, put after the last message, stops each consumer once',
    join: 'Queue.join() returns once task_done() was called for every message; the consumers are daemons left waiting in get()',
    shutdown: 'Queue.shutdown() (3.13) makes get() raise ShutDown once the queue is empty'
  }
  const gil = spec.workUs === 0
    ? ''
    : spec.work === 'cpu'
      ? (spec.gil ? ' Under the GIL, CPU work per message runs one consumer at a time: more consumers do not help.' : ' Without a GIL (3.13t, or C that releases it), CPU work spreads over the cores.')
      : ' I/O work releases the GIL: consumers wait in parallel, more consumers help.'
  return `${report.verified ? 'Nothing lost' : 'NOT verified'}: ${stops[spec.stop]}.${gil}`
}

export function buildReport (spec: ProducerConsumerSpec, run: RunState): ProducerConsumerReport {
  const slots = spec.producers + spec.consumers
  const cell = (slot: number, at: number) => Atomics.load(run.stats, slot * STAT_CELLS + at)
  const workers: PcWorkerReport[] = []
  for (let slot = 0; slot < slots; slot++) {
    const role: PcRole = slot < spec.producers ? 'producer' : 'consumer'
    const ended: ThreadEnd = run.returned.has(slot) ? 'returned' : run.ending === 'joined' && role === 'consumer' ? 'daemon' : 'stuck'
    workers.push({
      role,
      index: role === 'producer' ? slot : slot - spec.producers,
      count: cell(slot, Stat.COUNT),
      blockedMs: cell(slot, Stat.BLOCKED_US) / 1000,
      gilWaitMs: cell(slot, Stat.GIL_WAIT_US) / 1000,
      cpuMs: run.clocks[slot]?.runMs ?? null,
      coreWaitMs: run.clocks[slot]?.coreWaitMs ?? null,
      timeouts: cell(slot, Stat.TIMEOUTS),
      ended
    })
  }
  const consumerSlots = workers.map((_, slot) => slot).filter((slot) => slot >= spec.producers)
  const producers = workers.filter((worker) => worker.role === 'producer')
  const consumers = workers.filter((worker) => worker.role === 'consumer')
  const total = (list: PcWorkerReport[], pick: (worker: PcWorkerReport) => number) => list.reduce((sum, worker) => sum + pick(worker), 0)
  const produced = total(producers, (worker) => worker.count)
  const consumed = total(consumers, (worker) => worker.count)
  const duplicates = consumerSlots.reduce((sum, slot) => sum + cell(slot, Stat.DUPLICATES), 0)
  const distinct = popcount(run.seen)
  const sum = consumerSlots.reduce((acc, slot) => acc + (cell(slot, Stat.SUM) >>> 0), 0) % TWO_TO_32
  const expectedSum = Number((BigInt(spec.messages) * BigInt(spec.messages - 1) / 2n) % BigInt(TWO_TO_32))
  const xor = consumerSlots.reduce((acc, slot) => acc ^ cell(slot, Stat.XOR), 0)
  const expectedXor = xorUpTo(spec.messages)
  const leftInQueue = run.queue.depth
  const lost = produced - distinct
  const stuck = consumers.filter((worker) => worker.ended === 'stuck').length
  const stuckProducers = producers.filter((worker) => worker.ended === 'stuck').length
  const timeouts = total(consumers, (worker) => worker.timeouts)
  const verified = produced === spec.messages && consumed === spec.messages && distinct === spec.messages &&
    lost === 0 && duplicates === 0 && leftInQueue === 0 && stuck === 0 && stuckProducers === 0 && sum === expectedSum && xor === expectedXor
  return {
    ...spec,
    produced,
    consumed,
    lost,
    duplicates,
    leftInQueue,
    stuck,
    stuckProducers,
    timeouts,
    ending: run.ending,
    checksum: { sum, expectedSum, xor, expectedXor },
    verified,
    maxDepth: run.queue.maxDepth,
    producerBlockedMs: total(producers, (worker) => worker.blockedMs),
    consumerBlockedMs: total(consumers, (worker) => worker.blockedMs),
    gilWaitMs: total(workers, (worker) => worker.gilWaitMs),
    consumerCpuMs: consumers.some((worker) => worker.cpuMs === null) ? null : total(consumers, (worker) => worker.cpuMs!),
    consumerCoreWaitMs: consumers.some((worker) => worker.coreWaitMs === null) ? null : total(consumers, (worker) => worker.coreWaitMs!),
    ms: run.ms,
    startupMs: run.startupMs,
    messagesPerSecond: run.ms > 0 ? consumed / (run.ms / 1000) : 0,
    lesson: lessonOf(spec, { lost, stuck, stuckProducers, verified, timeouts }),
    workers
  }
}
