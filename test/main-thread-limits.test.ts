import assert from 'node:assert/strict'
import { test } from 'node:test'
import { buildTestApp, listenTestApp, runJob } from './support/app.js'

/** Issue 11, item 1: no single request may freeze the event loop, and no sampled latency exceeds MAX_LATENCY_MS. */

test('main-thread modes refuse the blocking db driver with a 400 naming the field, for jobs and GET /work', async (t) => {
  const app = await buildTestApp(t)
  for (const mode of ['inline', 'async']) {
    const work = await app.inject({ url: `/work/db?mode=${mode}&driver=blocking&latencyMs=5000` })
    assert.equal(work.statusCode, 400, mode)
    assert.equal(work.json().message, `querystring/driver 'blocking' is not allowed in mode ${mode} (it would block its thread); use driver 'async'`)
    const job = await app.inject({ method: 'POST', url: '/jobs', payload: { workload: 'db', mode, params: { driver: 'blocking' } } })
    assert.equal(job.statusCode, 400, mode)
    assert.match(job.json().message, /^body\/params\/driver 'blocking' is not allowed in mode/)
  }
  const threads = await runJob(app, { workload: 'db', mode: 'threads', tasks: 2, concurrency: 2, params: { latencyMs: 5, driver: 'blocking' } })
  assert.equal(threads.status, 'succeeded', 'off the main thread the blocking driver still runs')
})

test('GET /work hash on the main thread has a small budget; /healthz stays under 100 ms while the largest allowed one runs', async (t) => {
  const { app, url } = await listenTestApp(t)
  const budget = app.lab.config.MAIN_THREAD_WORK_MAX_BYTES
  const over = await app.inject({ url: `/work/hash?mode=inline&bytes=${budget}&rounds=2` })
  assert.equal(over.statusCode, 400)
  assert.equal(over.json().message, `querystring/bytes × querystring/rounds must be <= ${budget} in mode inline (MAIN_THREAD_WORK_MAX_BYTES: it runs on the event loop); got ${2 * budget}, or use a mode that runs off the main thread`)
  assert.equal((await app.inject({ url: `/work/hash?mode=pool&bytes=${budget}&rounds=2` })).statusCode, 200, 'the pool takes it')

  // The slowest algorithm at the budget, one request after another, with /healthz asked meanwhile.
  const largest = `${url}/work/hash?mode=inline&algorithm=sha3-256&bytes=${budget}&rounds=1`
  assert.equal((await fetch(largest)).status, 200) // seeded data and JIT warm
  const load = { running: true }
  const requests = (async () => {
    for (let request = 0; request < 10; request++) assert.equal((await fetch(largest)).status, 200)
    load.running = false
  })()
  const healthz: number[] = []
  while (load.running) {
    const started = performance.now()
    assert.equal((await fetch(`${url}/healthz`)).status, 200)
    healthz.push(performance.now() - started)
  }
  await requests
  assert.ok(healthz.length >= 3, `${healthz.length} probes`)
  assert.ok(Math.max(...healthz) < 100, `/healthz took up to ${Math.max(...healthz).toFixed(1)} ms`)
})

test('a log-normal latency never exceeds MAX_LATENCY_MS (the seed that gave a 7 389-ms task)', async (t) => {
  const app = await buildTestApp(t, { MAX_LATENCY_MS: 3000 })
  const job = await runJob(app, { workload: 'db', mode: 'async', tasks: 200, concurrency: 200, seed: 98, params: { p50Ms: 1, p99Ms: 2000 } })
  assert.equal(job.status, 'succeeded')
  const max = job.report!.latencyMs!.max
  assert.ok(max <= 3000 + 50, `longest task ${max} ms`)
  assert.ok(max >= 2500, `the tail reached the cap: ${max} ms`)
})
