/**
 * P2's anchor, run as its own process: a bare piscina pool (same size as the service's) and a `run()` loop keeping
 * `inFlight` calls in flight, each the same hash task; with `batch` > 1 each call carries that many task indices,
 * run one after another on the pool thread (as the service's pool mode batches). Prints `{ tasksPerSec, wallMs }` as
 * JSON on stdout.
 */
import { parseArgs } from 'node:util'
import { Piscina } from 'piscina'

const { values } = parseArgs({
  options: {
    tasks: { type: 'string' },
    threads: { type: 'string' },
    inFlight: { type: 'string' },
    batch: { type: 'string', default: '1' },
    bytes: { type: 'string' },
    rounds: { type: 'string' },
    algorithm: { type: 'string', default: 'sha256' }
  }
})
const tasks = Number(values.tasks)
const threads = Number(values.threads)
const batch = Number(values.batch)
const params = { algorithm: values.algorithm, bytes: Number(values.bytes), rounds: Number(values.rounds) }

const pool = new Piscina({
  filename: new URL('./piscina-hash-task.js', import.meta.url).href,
  minThreads: threads,
  maxThreads: threads,
  idleTimeout: 60_000
})
pool.on('error', (error) => { console.error(error); process.exit(1) })

async function loop (count: number): Promise<number> {
  let next = 0
  const started = performance.now()
  const lane = async () => {
    while (next < count) {
      if (batch === 1) {
        await pool.run({ params, seed: 1, index: next++ })
        continue
      }
      const indices: number[] = []
      while (indices.length < batch && next < count) indices.push(next++)
      await pool.run({ params, seed: 1, indices })
    }
  }
  await Promise.all(Array.from({ length: Number(values.inFlight) }, lane))
  return performance.now() - started
}

await loop(Math.min(2000, tasks)) // warm-up: threads started, code optimised
const wallMs = await loop(tasks)
console.log(JSON.stringify({ tasksPerSec: tasks / (wallMs / 1000), wallMs }))
await pool.destroy()
