/**
 * The I/O probe's thread: an I/O-bound Python thread beside a job's tasks, under the job's emulated GIL.
 *
 *   loop until STOPPED:
 *     take the lock                      (a Python thread holds the GIL to run the code that starts its I/O)
 *     t0 ─ I/O: a blocking wait of ioMs, the lock dropped (gil.blocking, as CPython drops it around recv())
 *        ─ I/O done: take the lock back  (beside a CPU-bound thread: wait until it hands over, ≈ a switch interval)
 *     t1 ─ handle the reply (a little CPU work), let the lock go; sleep intervalMs without it
 *     latency = t1 − t0, gil wait = t1 − end of the I/O; recorded only while the runner says COUNTING
 */
import { parentPort, workerData } from 'node:worker_threads'
import { LatencyStats } from '../src/measure/latency-stats.js'
import { ProbeState, STATE, type ProbeToRunner, type ProbeWorkerData } from '../src/measure/io-probe-protocol.js'
import { Gil, noGil, type GilLike } from '../src/sync/gil.js'

const data = workerData as ProbeWorkerData
const control = new Int32Array(data.control)
const gil: GilLike = data.gil ? new Gil(data.gil) : noGil
const pause = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT))
const latency = new LatencyStats()
const gilWait = new LatencyStats()
const send = (message: ProbeToRunner) => parentPort!.postMessage(message)

/** "Handling the reply": a little CPU work that needs the lock (decoding a small answer, a few microseconds). */
const REPLY = JSON.stringify({ ok: true, rows: Array.from({ length: 20 }, (_, i) => ({ id: i, name: `row ${i}` })) })
function handleReply (): void {
  JSON.parse(REPLY)
}

send({ type: 'ready' })
while (Atomics.load(control, STATE) !== ProbeState.STOPPED) {
  gil.acquire()
  const counting = Atomics.load(control, STATE) === ProbeState.COUNTING
  const started = performance.now()
  let ioEnded = started
  gil.blocking(() => {
    Atomics.wait(pause, 0, 0, data.ioMs)
    ioEnded = performance.now()
  })
  const held = performance.now()
  handleReply()
  gil.release()
  // Only a round wholly inside the window counts (one that began while the workers started would read low).
  if (counting && Atomics.load(control, STATE) === ProbeState.COUNTING) {
    latency.record(held - started)
    gilWait.record(held - ioEnded)
  }
  const state = Atomics.load(control, STATE)
  if (state !== ProbeState.STOPPED) Atomics.wait(control, STATE, state, data.intervalMs)
}
send({ type: 'result', latency: latency.data(), gilWait: gilWait.data() })
