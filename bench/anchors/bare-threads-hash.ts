/**
 * P3's reference for what the machine allows: `threads` bare worker_threads, each calling the hash task function in
 * a loop (no engine, no dispatch, no results sent), all started before the clock starts. Prints
 * `{ tasksPerSec }` as JSON. With threads=1 it is the single-core rate; the ratio of the two is the scaling the
 * hardware and V8 give, which no engine can beat.
 */
import { parseArgs } from 'node:util'
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads'
import { hashTask } from '../../src/workloads/hash.js'
import { gilFor } from '../../src/sync/gil.js'
import type { HashParams } from '../../src/workloads/params/hash.js'

interface Work { tasks: number, bytes: number, rounds: number, algorithm: string, go: SharedArrayBuffer }

if (isMainThread) {
  const { values } = parseArgs({ options: { threads: { type: 'string' }, tasks: { type: 'string' }, bytes: { type: 'string' }, rounds: { type: 'string' }, algorithm: { type: 'string', default: 'sha256' } } })
  const threads = Number(values.threads)
  const go = new SharedArrayBuffer(4)
  const work: Work = { tasks: Number(values.tasks), bytes: Number(values.bytes), rounds: Number(values.rounds), algorithm: values.algorithm, go }
  const workers = Array.from({ length: threads }, () => new Worker(new URL(import.meta.url), { workerData: work }))
  await Promise.all(workers.map((worker) => new Promise((resolve) => worker.once('message', resolve)))) // all warmed up
  const started = performance.now()
  Atomics.store(new Int32Array(go), 0, 1)
  Atomics.notify(new Int32Array(go), 0)
  await Promise.all(workers.map((worker) => new Promise((resolve) => worker.once('exit', resolve))))
  const seconds = (performance.now() - started) / 1000
  console.log(JSON.stringify({ tasksPerSec: threads * work.tasks / seconds }))
} else {
  const { tasks, bytes, rounds, algorithm, go } = workerData as Work
  const params: HashParams = { algorithm: algorithm as HashParams['algorithm'], bytes, rounds, releaseGil: false, input: 'seeded' }
  const context = { index: 0, seed: 1, shared: undefined, upstreamUrl: '', latencyCapMs: 0, gil: gilFor(undefined) }
  hashTask(params, context) // warm-up: code compiled, seeded data made
  parentPort!.postMessage('ready')
  Atomics.wait(new Int32Array(go), 0, 0)
  for (let index = 0; index < tasks; index++) hashTask(params, { ...context, index })
}
