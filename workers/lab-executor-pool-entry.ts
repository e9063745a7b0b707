/**
 * A pool thread of the executor lab — one of ThreadPoolExecutor's workers: take the next submitted task, run it,
 * hand its outcome to whoever holds its future (the caller thread), take the next.
 *
 *   main: spawn ──▶ thread: 'ready', sleeps on the gate ──▶ main opens it
 *   per style: take task i (ExecutorQueue: sleeps until it is submitted) ─ sleep durationsMs[i] ─ return, or throw
 *              ──'completion' (value or error) on the run's BroadcastChannel──▶ the caller; past the last task, next style
 *   ──▶ 'result' (tasks run) ──▶ exits
 * A throw is caught here and passed on as the outcome, as concurrent.futures' worker stores it in the Future: the
 * thread itself never dies of a task's exception.
 */
import { BroadcastChannel, parentPort, workerData } from 'node:worker_threads'
import type { LabThreadMessage } from '../src/labs/lab-thread-message.js'
import type { Completion, ExecutorThreadData, TaskValue } from '../src/labs/executor-messages.js'
import { ExecutorQueue } from '../src/labs/executor-queue.js'
import { roundMs } from '../src/measure/round-ms.js'
import { StartGate } from '../src/sync/start-gate.js'

const data = workerData as ExecutorThreadData & { gate: SharedArrayBuffer }
const queue = new ExecutorQueue(data.queue)
const channel = new BroadcastChannel(data.channel)
const send = (message: LabThreadMessage<{ tasksRun: number }>) => parentPort!.postMessage(message)

/** A private cell nobody notifies: Atomics.wait on it sleeps this thread, as time.sleep does a Python thread. */
const sleepCell = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT))

/** The task: sleep its duration, then return — or throw, for the failing ones. */
function task (style: number, index: number): TaskValue {
  queue.count(style, 'started')
  const started = performance.now()
  Atomics.wait(sleepCell, 0, 0, data.durationsMs[index]!)
  if (data.fails[index]) {
    queue.count(style, 'raised')
    throw new Error(`task ${index} failed`)
  }
  return { index, sleptMs: roundMs(performance.now() - started) }
}

send({ type: 'ready' })
new StartGate(data.gate).pass()
let tasksRun = 0
for (let style = 0; style < data.styles.length; style++) {
  for (let index = queue.take(style, data.durationsMs.length); index !== undefined; index = queue.take(style, data.durationsMs.length)) {
    let completion: Completion
    try {
      completion = { style, index, ok: true, value: task(style, index) }
    } catch (error) {
      completion = { style, index, ok: false, error: (error as Error).message }
    }
    channel.postMessage(completion)
    tasksRun++
  }
}
channel.close()
send({ type: 'result', result: { tasksRun } })
