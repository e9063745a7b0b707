import assert from 'node:assert/strict'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { buildTestApp } from './support/app.js'

/** Issue 11: under pressure or over a client's rate, new work is refused with Retry-After; reads and probes answer. */

const timerBody = { delayMs: 60_000 }

test('under pressure (RSS over PRESSURE_MAX_RSS_BYTES) new work is 503 UNDER_PRESSURE; probes, reads and cancels answer', async (t) => {
  const app = await buildTestApp(t, { PRESSURE_MAX_RSS_BYTES: 1, PRESSURE_SAMPLE_INTERVAL_MS: 100 })
  await sleep(250) // the first sample
  const job = await app.inject({ method: 'POST', url: '/jobs', payload: { workload: 'hash', mode: 'pool' } })
  assert.equal(job.statusCode, 503)
  assert.equal(job.json().code, 'UNDER_PRESSURE')
  assert.match(job.json().message, /^the service is under pressure: the resident memory is \d+ bytes, over its limit \(PRESSURE_MAX_RSS_BYTES\)/)
  assert.equal(job.headers['retry-after'], String(app.lab.config.PRESSURE_RETRY_AFTER_S))
  assert.equal((await app.inject({ url: '/work/hash?mode=pool' })).statusCode, 503, 'GET /work adds load too')
  assert.equal((await app.inject({ url: '/healthz' })).statusCode, 200)
  assert.equal((await app.inject({ url: '/metrics' })).statusCode, 200)
  assert.equal((await app.inject({ url: '/jobs' })).statusCode, 200)
  const ready = await app.inject({ url: '/readyz' })
  assert.equal(ready.statusCode, 503)
  assert.equal(ready.json().underPressure, true)
  assert.equal((await app.inject({ method: 'DELETE', url: '/jobs/no-such-job' })).statusCode, 404, 'a cancel is not shed')
})

test('without pressure /readyz says so and work is taken', async (t) => {
  const app = await buildTestApp(t, { PRESSURE_SAMPLE_INTERVAL_MS: 100 })
  await sleep(250)
  const ready = await app.inject({ url: '/readyz' })
  assert.equal(ready.statusCode, 200)
  assert.equal(ready.json().underPressure, false)
  assert.equal((await app.inject({ url: '/work/hash?mode=pool&rounds=1' })).statusCode, 200)
})

test('RATE_LIMIT_MAX requests that add load per client and window, then 429 RATE_LIMITED with Retry-After; reads, cancels and /work are not counted', async (t) => {
  const app = await buildTestApp(t, { RATE_LIMIT_MAX: 3, RATE_LIMIT_WINDOW_MS: 60_000 })
  const ids: string[] = []
  for (let request = 0; request < 3; request++) {
    const made = await app.inject({ method: 'POST', url: '/timers', payload: timerBody })
    assert.equal(made.statusCode, 201, `timer ${request}: ${made.body}`)
    ids.push(made.json().id)
    assert.equal((await app.inject({ url: '/timers' })).statusCode, 200, 'reads are not counted')
  }
  const refused = await app.inject({ method: 'POST', url: '/timers', payload: timerBody })
  assert.equal(refused.statusCode, 429)
  assert.equal(refused.json().code, 'RATE_LIMITED')
  assert.equal(refused.json().message, 'more than 3 such requests from this client in 60000 ms (RATE_LIMIT_MAX); retry after Retry-After seconds')
  assert.ok(Number(refused.headers['retry-after']) >= 1 && Number(refused.headers['retry-after']) <= 60, `Retry-After ${refused.headers['retry-after']}`)
  for (const id of ids) assert.equal((await app.inject({ method: 'DELETE', url: `/timers/${id}` })).statusCode, 200, 'cancels are not counted')
  for (let request = 0; request < 5; request++) assert.equal((await app.inject({ url: '/work/db?mode=async&latencyMs=1' })).statusCode, 200, 'GET /work is unlimited by default')
  // Another client has its own budget.
  assert.equal((await app.inject({ method: 'POST', url: '/timers', payload: timerBody, remoteAddress: '10.0.0.2' })).statusCode, 201)
})

test('RATE_LIMIT_WORK_MAX limits GET /work per client when set', async (t) => {
  const app = await buildTestApp(t, { RATE_LIMIT_WORK_MAX: 2 })
  for (let request = 0; request < 2; request++) { const answer = await app.inject({ url: '/work/db?mode=async&latencyMs=1' }); assert.equal(answer.statusCode, 200, answer.body) }
  const refused = await app.inject({ url: '/sim/delay' })
  assert.equal(refused.statusCode, 429)
  assert.match(refused.json().message, /\(RATE_LIMIT_WORK_MAX\)/)
})
