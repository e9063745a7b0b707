/**
 * The producer/consumer lab: producer threads put message ids into a bounded queue in shared memory, consumer
 * threads take them; four ways to stop them (the seed's `Queue` + `Event`, and three that are right), with or
 * without an emulated GIL, with CPU or I/O work per message.
 *
 *   main ──spawn──▶ P0…Pn, C0…Cm ──'ready'──▶ main ──'go'──▶ all
 *   Pi: put(ids of its share) ──'done'──▶ main ── last producer done ─┬─ shutdown: queue.stop()  (Queue.shutdown())
 *                                                                    └─ join: await queue.joined() (Queue.join()), then
 *                                                                       end the daemon consumers
 *   Cj: take() until its style says stop ──'done'──▶ main ── every thread gone ──▶ report (from the stats cells)
 *   watchdog (every WATCH_MS): every live thread in a wait nothing can end and the queue unchanged ──▶ stuck: end them
 *
 * The main thread never takes the queue's mutex (stop() is a store and a notify, joined() is Atomics.waitAsync), so
 * it never blocks. Every run is bounded by LAB_MAX_MS: past it, every thread is terminated and the run answers
 * LAB_TIMED_OUT.
 */
import { availableParallelism } from 'node:os'
import type { Config } from '../config.js'
import { LabTimedOut, ShuttingDown } from '../errors.js'
import { roundMs } from '../measure/round-ms.js'
import { threadClock, type ThreadClock } from '../measure/thread-cpu.js'
import { SharedBoundedQueue } from '../sync/bounded-queue.js'
import { Gil } from '../sync/gil.js'
import { WorkerGroup } from '../threads/worker-group.js'
import { threadHandle } from '../threads/worker-handle.js'
import { workerFile } from '../threads/worker-files.js'
import { CONTROL_CELLS, Control, NO_CPU_CLOCK, STAT_CELLS, Stat, ThreadState, type PcRole, type PcThreadToMain, type PcWorkerData, type StopStyle, type WorkKind } from './producer-consumer-messages.js'
import { buildReport, popcount, type Ending, type ProducerConsumerReport } from './producer-consumer-report.js'

export interface ProducerConsumerSpec {
  producers: number
  consumers: number
  capacity: number
  messages: number
  /** cpu: pure-Python work holding the GIL; io: a sleep without it (time.sleep) */
  work: WorkKind
  /** work per message on the consumer, in µs */
  workUs: number
  /** the threads share an emulated GIL */
  gil: boolean
  /** with gil: sys.getswitchinterval() in ms */
  switchIntervalMs: number
  stop: StopStyle
  /** seed-event: the consumers' get(timeout=…) in ms; 0 = get() with no timeout, as the seed wrote it */
  getTimeoutMs: number
}

/** How often the watchdog looks; a stuck verdict needs two looks in a row with the queue unchanged. */
const WATCH_MS = 10

/**
 * Rules across fields: refuse at once a run whose work alone cannot fit in LAB_MAX_MS (messages × workUs spread
 * over the consumers that can work at once: min(consumers, cores) for cpu work, 1 for cpu work under the GIL, every
 * consumer for io work); with `cpython` the same work runs again on CPython, which always has its GIL here, so cpu
 * work counts one consumer at a time whatever `gil` says. seed-event needs a message per producer (each holds its
 * last one back).
 */
export function checkProducerConsumerSpec (spec: ProducerConsumerSpec, config: Config, options: { cpython?: boolean, cores?: number } = {}): string | undefined {
  const oneAtATime = spec.work === 'cpu' && (spec.gil || options.cpython === true)
  const parallel = spec.work === 'io' ? spec.consumers : oneAtATime ? 1 : Math.min(spec.consumers, options.cores ?? availableParallelism())
  const leastMs = spec.messages * spec.workUs / 1000 / parallel
  if (leastMs > config.LAB_MAX_MS) {
    const why = !oneAtATime ? '' : spec.gil ? ' (one at a time under the GIL)' : ' (one at a time: with body/cpython true it runs on CPython too, which always has its GIL here)'
    return `body/messages × body/workUs is at least ${Math.round(leastMs)} ms of ${spec.work} work on ${parallel} consumer(s) at once${why}, more than LAB_MAX_MS (${config.LAB_MAX_MS}); lower messages or workUs`
  }
  if (spec.stop === 'seed-event' && spec.messages < spec.producers) {
    return `body/messages must be >= body/producers (${spec.producers}) with stop seed-event: each producer holds back its last message`
  }
  if (spec.getTimeoutMs > 0 && spec.stop !== 'seed-event') {
    return 'body/getTimeoutMs applies to stop seed-event only (the other styles block in get() until their stop signal)'
  }
  return undefined
}

/**
 * Runs one experiment and answers its report, or rejects with LabTimedOut (past `maxMs`), ShuttingDown (`signal`
 * aborted) or an Error when a thread fails. Every thread has exited when the promise settles.
 */
export function runProducerConsumer (spec: ProducerConsumerSpec, options: { maxMs: number, signal?: AbortSignal }): Promise<ProducerConsumerReport> {
  const { producers, consumers, messages } = spec
  const threads = producers + consumers
  const queueBuffer = SharedBoundedQueue.allocate(spec.capacity)
  const queue = new SharedBoundedQueue(queueBuffer)
  const seenBuffer = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT * Math.ceil(messages / 32))
  const seen = new Int32Array(seenBuffer)
  const statsBuffer = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT * STAT_CELLS * threads)
  const stats = new Int32Array(statsBuffer)
  const controlBuffer = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT * CONTROL_CELLS)
  Atomics.store(new Int32Array(controlBuffer), Control.PRODUCERS_LEFT, producers)
  const gil = spec.gil ? { buffer: Gil.allocate(), switchIntervalMs: spec.switchIntervalMs } : undefined
  const { stop, work, workUs, getTimeoutMs } = spec
  /** what every thread gets (its role, slot and share are added per thread) */
  const shared = { producers, consumers, stop, work, workUs, getTimeoutMs, queue: queueBuffer, seen: seenBuffer, stats: statsBuffer, control: controlBuffer, ...(gil ? { gil } : {}) }
  /** slots that posted 'done' */
  const returned = new Set<number>()
  const spawnedAt = performance.now()
  let startupMs = 0
  let goAt = 0
  let producersLeft = producers
  // Slots 0 … producers − 1 are the producers, the rest the consumers.
  const roleOf = (slot: number): { role: PcRole, index: number } =>
    slot < producers ? { role: 'producer', index: slot } : { role: 'consumer', index: slot - producers }
  const stateOf = (slot: number) => Atomics.load(stats, slot * STAT_CELLS + Stat.STATE)
  // Each thread's OS id (its ready message), to read the clock of a thread that never returned — stuck, or a daemon —
  // before it is ended (a thread that returned wrote its own CPU_US and CORE_WAIT_US cells).
  const threadIds = new Map<number, string | undefined>()
  const clocksOf = (): Array<ThreadClock | null> => Array.from({ length: threads }, (_, slot) => {
    const at = (cell: number) => Atomics.load(stats, slot * STAT_CELLS + cell)
    if (at(Stat.CPU_AT_GO_US) === NO_CPU_CLOCK) return null
    if (returned.has(slot)) return { runMs: at(Stat.CPU_US) / 1000, coreWaitMs: at(Stat.CORE_WAIT_US) / 1000 }
    const now = threadClock(threadIds.get(slot))
    return now ? { runMs: roundMs(now.runMs - at(Stat.CPU_AT_GO_US) / 1000), coreWaitMs: roundMs(now.coreWaitMs - at(Stat.CORE_WAIT_AT_GO_US) / 1000) } : null
  })

  return new Promise<ProducerConsumerReport>((resolve, reject) => {
    let outcome: { error: Error } | { report: ProducerConsumerReport } | undefined
    let allGone = false
    const settle = () => {
      if (!outcome || !allGone) return
      if ('error' in outcome) reject(outcome.error)
      else resolve(outcome.report)
    }

    // Decides once: clears the timers, reads the stats, then joins every thread (the promise settles when the last is gone).
    const finish = (result: { error: Error } | { ending: Ending }) => {
      if (outcome) return
      clearTimeout(deadline)
      clearInterval(watchdog)
      options.signal?.removeEventListener('abort', onAbort)
      outcome = 'error' in result
        ? result
        : { report: buildReport(spec, { queue, seen, stats, returned, ending: result.ending, ms: performance.now() - goAt, startupMs, clocks: clocksOf() }) }
      group.kill()
      settle()
    }
    const deadline = setTimeout(() => finish({ error: new LabTimedOut('the producer/consumer run', options.maxMs, ` after ${popcount(seen)} of ${messages} messages had been consumed`) }), options.maxMs)
    const onAbort = () => finish({ error: new ShuttingDown() })
    options.signal?.addEventListener('abort', onAbort, { once: true })

    // Stuck: every thread that has not returned waits where only another thread could wake it — a get() with no
    // timeout on an empty queue, a put() on a full one — and the queue did not move across two looks (so the
    // picture is not a hand-off caught half-way).
    let stuckLooks = 0
    let lastProgress = -1
    const watchdog = setInterval(() => {
      if (goAt === 0) return
      const progress = queue.progress
      let waiting = true
      for (let slot = 0; slot < threads && waiting; slot++) {
        const state = stateOf(slot)
        if (state === ThreadState.EXITED) continue
        waiting = (state === ThreadState.GET_BLOCKING && queue.depth === 0) || (state === ThreadState.PUT_BLOCKING && queue.depth === spec.capacity)
      }
      stuckLooks = waiting && progress === queue.progress && progress === lastProgress ? stuckLooks + 1 : 0
      lastProgress = progress
      // join: the consumers waiting in get() once every task is done are its daemons, Queue.join() has returned.
      if (stuckLooks >= 2) finish({ ending: spec.stop === 'join' && queue.unfinished === 0 ? 'joined' : 'stuck' })
    }, WATCH_MS)

    const onProducersDone = () => {
      if (spec.stop === 'shutdown') queue.stop()
      if (spec.stop === 'join') queue.joined().then(() => finish({ ending: 'joined' }), (error: Error) => finish({ error }))
    }

    const group: WorkerGroup<PcThreadToMain> = new WorkerGroup<PcThreadToMain>('labs', {
      isReady: (message) => message.type === 'ready',
      onReady: (member, message) => {
        if (message.type === 'ready') threadIds.set(member.slot, message.thread)
      },
      onAllReady: (members) => {
        if (members.length < threads) return // one died before it was ready: onGone ends the run
        startupMs = performance.now() - spawnedAt
        goAt = performance.now()
        for (const member of members) member.handle.send('go')
      },
      onMessage: (member, message) => {
        if (message.type !== 'done') return
        returned.add(member.slot)
        if (roleOf(member.slot).role === 'producer' && --producersLeft === 0) onProducersDone()
        if (returned.size === threads) finish({ ending: 'returned' })
      },
      onGone: (member, { how }) => {
        const { role, index } = roleOf(member.slot)
        if (!returned.has(member.slot)) finish({ error: new Error(`${role} ${index} ${how} before it finished`) })
      },
      onAllGone: () => {
        allGone = true
        settle()
      }
    })
    group.spawnAll(threads, (slot) => {
      const { role, index } = roleOf(slot)
      const [from, to] = role === 'producer'
        ? [Math.floor(index * messages / producers), Math.floor((index + 1) * messages / producers)]
        : [0, 0]
      const workerData: PcWorkerData = { ...shared, role, index, slot, from, to }
      return threadHandle<PcThreadToMain>(workerFile('lab-producer-consumer-entry'), { workerData })
    })
    if (group.spawnFailure) finish({ error: group.spawnFailure })
  })
}
