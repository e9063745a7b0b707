/**
 * A CPU-bound thread under the emulated GIL (test/gil-hold.test.ts): once every thread is loaded and the gate
 * opens, it spins for `ms`, calling tick() as the workloads' CPU loops do.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { Gil, type GilShared } from '../../src/sync/gil.js'

const { shared, ms, gate } = workerData as { shared: GilShared, ms: number, gate: SharedArrayBuffer }
const gil = new Gil(shared)
const opened = new Int32Array(gate)
parentPort!.postMessage('ready')
Atomics.wait(opened, 0, 0)
const until = performance.now() + ms
gil.acquire()
let spins = 0
while (performance.now() < until) {
  for (let i = 0; i < 1000; i++) spins += i & 1
  gil.tick()
}
gil.release()
parentPort!.postMessage({ spins, waitedMs: gil.waitedMs })
