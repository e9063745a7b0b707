/**
 * A CPU-bound thread under the emulated GIL (test/gil-hold.test.ts): once every thread is loaded and the gate
 * opens, it spins for `ms`, calling tick() as the workloads' CPU loops do (the GIL lab's loop, src/labs/gil-cpu-loop.ts).
 */
import { parentPort, workerData } from 'node:worker_threads'
import { spinFor } from '../../src/labs/gil-cpu-loop.js'
import { Gil, type GilShared } from '../../src/sync/gil.js'

const { shared, ms, gate } = workerData as { shared: GilShared, ms: number, gate: SharedArrayBuffer }
const gil = new Gil(shared)
const opened = new Int32Array(gate)
parentPort!.postMessage('ready')
Atomics.wait(opened, 0, 0)
const spins = spinFor(gil, ms)
parentPort!.postMessage({ spins, waitedMs: gil.waitedMs })
