/**
 * P2's anchor, run as its own process: a bare piscina pool (same size as the service's) and a `run()` loop keeping
 * `inFlight` tasks in flight, each the same hash task. Prints `{ tasksPerSec, wallMs }` as JSON on stdout.
 */
import { parseArgs } from 'node:util'
import { Piscina } from 'piscina'

const { values } = parseArgs({
  options: {
    tasks: { type: 'string' },
    threads: { type: 'string' },
    inFlight: { type: 'string' },
    bytes: { type: 'string' },
    rounds: { type: 'string' },
    algorithm: { type: 'string', default: 'sha256' }
  }
})
const tasks = Number(values.tasks)
const threads = Number(values.threads)
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
    while (next < count) await pool.run({ params, seed: 1, index: next++ })
  }
  await Promise.all(Array.from({ length: Number(values.inFlight) }, lane))
  return performance.now() - started
}

await loop(Math.min(2000, tasks)) // warm-up: threads started, code optimised
const wallMs = await loop(tasks)
console.log(JSON.stringify({ tasksPerSec: tasks / (wallMs / 1000), wallMs }))
await pool.destroy()
