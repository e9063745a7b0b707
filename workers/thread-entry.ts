/**
 * A worker thread of a `threads` job. It pulls task indices from a counter in shared memory (no round trip to
 * the main thread per task), runs them one after another, and posts outcomes back in batches.
 *
 *   main: spawn ──▶ thread: 'ready' ──▶ [main: 'warm' ──▶ thread: warm-up tasks … 'warmed'] ──▶ main: 'go' (to all at once) ──▶ thread: loop { Atomics.add(NEXT) → run }
 *   thread: 'outcomes'… 'done' ──▶ main: join (terminate + 'exit')
 *
 * Shipped input (job.inputShipped): after claiming a task the thread asks for its bytes and waits for them.
 *   thread: 'input' { index } ──▶ main: makes the bytes ──▶ 'input' { index, input } (a copy) ──▶ thread: runs it
 */
import { parentPort, threadId, workerData } from 'node:worker_threads'
import { epochNow, scheduledAt, waitUntil } from '../src/executors/arrivals.js'
import { ThreadControl, type ThreadGo, type ThreadInput, type ThreadToMain, type ThreadWorkerData, type WarmAsk } from '../src/executors/messages.js'
import { OutcomeBuffer } from '../src/executors/outcome-buffer.js'
import { crashIfAsked, runTask } from '../src/executors/run-task.js'
import { warmInPlace } from '../src/executors/warm-in-place.js'

const { job, slot, tasks, control, arrivals } = workerData as ThreadWorkerData
const cells = new Int32Array(control)
const port = parentPort!
const label = `thread ${threadId}`
const send = (message: ThreadToMain) => port.postMessage(message)

/** The answer awaited for the task this thread asked the input of (one at a time: the thread runs one task). */
let awaitedInput: ((input: Uint8Array) => void) | undefined
function shippedInput (index: number): Promise<Uint8Array> {
  return new Promise((resolve) => {
    awaitedInput = resolve
    send({ type: 'input', index })
  })
}

async function work ({ runStartedAt }: ThreadGo): Promise<void> {
  const buffer = new OutcomeBuffer((outcomes) => send({ type: 'outcomes', outcomes }))
  // Closed loop: this thread is a concurrency slot; it frees when its previous task ends.
  let slotFreedAt = runStartedAt
  while (Atomics.load(cells, ThreadControl.STOP) === 0) {
    const index = Atomics.add(cells, ThreadControl.NEXT, 1)
    if (index >= tasks) break
    const dueAt = arrivals ? scheduledAt(arrivals, runStartedAt, index) : slotFreedAt
    if (arrivals) await waitUntil(dueAt)
    // Published so that, if this thread dies, the main thread knows which task died with it.
    Atomics.store(cells, ThreadControl.RUNNING + slot, index)
    if (job.crashAtTask === index) buffer.flush()
    crashIfAsked(job, index)
    const input = job.inputShipped ? await shippedInput(index) : undefined
    const outcome = await runTask(job, index, label, undefined, input)
    outcome.dueAt = dueAt
    buffer.push(outcome)
    Atomics.store(cells, ThreadControl.RUNNING + slot, -1)
    slotFreedAt = epochNow()
  }
  buffer.flush()
  send({ type: 'done' })
}

const stopped = () => Atomics.load(cells, ThreadControl.STOP) !== 0

async function warm (ask: WarmAsk): Promise<void> {
  await warmInPlace(job, ask, label, (outcomes) => send({ type: 'outcomes', outcomes }), stopped)
  send({ type: 'warmed' })
}

port.on('message', (message: WarmAsk | ThreadGo | ThreadInput) => {
  if (message.type === 'input') {
    awaitedInput?.(message.input)
    awaitedInput = undefined
    return
  }
  const running = message.type === 'warm' ? warm(message) : work(message)
  running.catch((error) => { throw error })
})
send({ type: 'ready' })
