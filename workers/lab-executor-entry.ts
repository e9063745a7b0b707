/**
 * The caller thread of the executor lab — the program that submits the tasks and collects (or forgets) their
 * results; Python's main thread. It is a thread of its own, not the service's main thread, because of what Node
 * does with a rejected promise nobody handles: 'unhandledRejection', which in the service's main thread would
 * end the service (close-with-grace shuts it down on one). Here the events stay in this thread, counted.
 *
 *   main: spawn ──▶ 'ready' (subscribed to the run's BroadcastChannel), sleeps on the gate ──▶ main opens it
 *   per style: submit every task ─ collect them (executor-styles.ts) ─ wait for the pool to drain ─ two turns
 *              of the event loop, so Node has reported every unhandled rejection ──▶ next style
 *   ──▶ after each: 'result' (every style so far: order, times, exceptions seen, rejections reported) ──▶ exits
 */
import { parentPort, workerData } from 'node:worker_threads'
import { setImmediate as turn } from 'node:timers/promises'
import type { LabThreadMessage } from '../src/labs/lab-thread-message.js'
import { roundMs } from '../src/measure/round-ms.js'
import type { CallerStyleResult, ExecutorThreadData } from '../src/labs/executor-messages.js'
import { PoolClient } from '../src/labs/executor-pool.js'
import { collect, Collected } from '../src/labs/executor-styles.js'
import { StartGate } from '../src/sync/start-gate.js'

const data = workerData as ExecutorThreadData & { gate: SharedArrayBuffer }
const tasks = data.durationsMs.length
const pool = new PoolClient(data.queue, data.channel, tasks)
const send = (message: LabThreadMessage<CallerStyleResult[]>) => parentPort!.postMessage(message)

// With a listener, Node reports an unhandled rejection to it instead of ending the thread with it
// (--unhandled-rejections=throw, the default since Node 15). Every promise of this thread is a task's.
// Without one (listen: false), the first unhandled rejection ends this thread: main reports it as callerDied.
let reported = 0
let handledLater = 0
if (data.listen) {
  process.on('unhandledRejection', () => { reported++ })
  process.on('rejectionHandled', () => { handledLater++ })
}

async function runStyle (style: number): Promise<CallerStyleResult> {
  const name = data.styles[style]!
  pool.beginStyle(style)
  const before = { reported, handledLater }
  const submittedAt = performance.now()
  const collected = new Collected(submittedAt)
  await collect(name, pool, tasks, collected)
  const allResultsMs = name === 'fire-and-forget' ? null : performance.now() - submittedAt
  await pool.drained()
  const drainedMs = performance.now() - submittedAt
  // Node looks for unhandled rejections once the microtasks of a turn have run: let the last ones be reported.
  await turn()
  await turn()
  const round = (ms: number | null) => ms === null ? null : roundMs(ms)
  return {
    style: name,
    firstResultMs: round(collected.firstAt),
    allResultsMs: round(allResultsMs),
    drainedMs: round(drainedMs)!,
    order: collected.order,
    results: collected.results,
    exceptionsSeen: collected.exceptionsSeen,
    reportedByRuntime: reported - before.reported,
    handledLater: handledLater - before.handledLater
  }
}

send({ type: 'ready' })
new StartGate(data.gate).pass()
// After each style, everything so far: if the thread dies in a later style, main still has these.
const results: CallerStyleResult[] = []
for (let style = 0; style < data.styles.length; style++) {
  results.push(await runStyle(style))
  send({ type: 'result', result: [...results] })
}
pool.close()
