import assert from 'node:assert/strict'
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { test, type TestContext } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../src/app.js'
import { testConfig } from '../src/config.js'
import type { TimerView } from '../src/labs/timers.js'
import { buildTestApp, waitFor } from './support/app.js'

const FIRE_CHANNEL = 'concurrency-lab:timer:fire'

async function createTimer (app: FastifyInstance, body: Record<string, unknown>): Promise<TimerView> {
  const response = await app.inject({ method: 'POST', url: '/timers', payload: body })
  assert.equal(response.statusCode, 201, response.body)
  assert.equal(response.headers.location, `/timers/${response.json().id}`)
  return response.json()
}

async function getTimer (app: FastifyInstance, id: string): Promise<TimerView> {
  const response = await app.inject({ method: 'GET', url: `/timers/${id}` })
  assert.equal(response.statusCode, 200, response.body)
  return response.json()
}

/** Counts fires per timer id from the registry's diagnostics channel (independent of the HTTP API). */
function countFires (t: TestContext): Map<string, number> {
  const fires = new Map<string, number>()
  const onFire = (message: unknown) => {
    const { id } = message as { id: string }
    fires.set(id, (fires.get(id) ?? 0) + 1)
  }
  subscribe(FIRE_CHANNEL, onFire)
  t.after(() => unsubscribe(FIRE_CHANNEL, onFire))
  return fires
}

test('a timer cancelled before its delay never fires', async (t) => {
  const app = await buildTestApp(t)
  const fires = countFires(t)
  const timer = await createTimer(app, { delayMs: 300 })
  assert.equal(timer.state, 'scheduled')
  assert.equal(timer.fires, 0)
  assert.ok(timer.nextFireAt && Date.parse(timer.nextFireAt) > Date.now())

  const cancelled = await app.inject({ method: 'DELETE', url: `/timers/${timer.id}` })
  assert.equal(cancelled.statusCode, 200, cancelled.body)
  assert.equal(cancelled.json().state, 'cancelled')
  assert.equal(cancelled.json().firedBeforeCancel, false)
  assert.equal(cancelled.json().nextFireAt, null)

  await sleep(600) // twice its delay
  const after = await getTimer(app, timer.id)
  assert.equal(after.state, 'cancelled')
  assert.equal(after.fires, 0)
  assert.deepEqual(after.firedAt, [])
  assert.equal(fires.get(timer.id), undefined)
})

test('a repeating timer (intervalMs 50, count 4) fires exactly 4 times, then is done', async (t) => {
  const app = await buildTestApp(t)
  const fires = countFires(t)
  const timer = await createTimer(app, { delayMs: 20, intervalMs: 50, count: 4 })
  assert.equal(timer.intervalMs, 50)
  assert.equal(timer.count, 4)
  await waitFor(async () => (await getTimer(app, timer.id)).state === 'done', 10_000, 'the timer to be done')
  await sleep(250) // five more intervals: nothing more may fire
  const done = await getTimer(app, timer.id)
  assert.equal(done.fires, 4)
  assert.equal(fires.get(timer.id), 4)
  assert.equal(done.firedAt.length, 4)
  assert.equal(done.nextFireAt, null)
  assert.ok(done.finishedAt)
  const times = done.firedAt.map(Date.parse)
  for (let i = 1; i < times.length; i++) assert.ok(times[i]! - times[i - 1]! >= 45, `fires ${i} and ${i + 1} are ${times[i]! - times[i - 1]!} ms apart`)
  assert.ok(times[0]! - Date.parse(done.createdAt) >= 15)
})

test('cancelling between fires stops a repeating timer', async (t) => {
  const app = await buildTestApp(t)
  const fires = countFires(t)
  const timer = await createTimer(app, { delayMs: 0, intervalMs: 200, count: 100 })
  await waitFor(async () => (await getTimer(app, timer.id)).fires >= 1, 5000, 'the first fire')
  const between = await getTimer(app, timer.id)
  assert.equal(between.state, 'fired')
  assert.ok(between.nextFireAt, 'the next fire is armed')

  const response = await app.inject({ method: 'DELETE', url: `/timers/${timer.id}` })
  assert.equal(response.statusCode, 200, response.body)
  const cancelled = response.json()
  assert.equal(cancelled.state, 'cancelled')
  assert.equal(cancelled.firedBeforeCancel, true)
  assert.ok(cancelled.fires >= 1 && cancelled.fires < 100)

  await sleep(3 * 200 + 200) // three more intervals and a margin
  const after = await getTimer(app, timer.id)
  assert.equal(after.fires, cancelled.fires)
  assert.equal(fires.get(timer.id), cancelled.fires)
  assert.equal(after.state, 'cancelled')
})

test('unknown ids are 404 TIMER_NOT_FOUND; cancelling a finished timer is 409 TIMER_ALREADY_FINISHED', async (t) => {
  const app = await buildTestApp(t)
  for (const method of ['GET', 'DELETE'] as const) {
    const missing = await app.inject({ method, url: '/timers/no-such-timer' })
    assert.equal(missing.statusCode, 404)
    assert.equal(missing.json().code, 'TIMER_NOT_FOUND')
    assert.match(missing.json().message, /no-such-timer/)
  }

  const once = await createTimer(app, { delayMs: 0 })
  await waitFor(async () => (await getTimer(app, once.id)).state === 'done', 5000, 'the timer to be done')
  const late = await app.inject({ method: 'DELETE', url: `/timers/${once.id}` })
  assert.equal(late.statusCode, 409)
  assert.equal(late.json().code, 'TIMER_ALREADY_FINISHED')
  assert.match(late.json().message, /already done/)

  const twice = await createTimer(app, { delayMs: 10_000 })
  assert.equal((await app.inject({ method: 'DELETE', url: `/timers/${twice.id}` })).statusCode, 200)
  const again = await app.inject({ method: 'DELETE', url: `/timers/${twice.id}` })
  assert.equal(again.statusCode, 409)
  assert.match(again.json().message, /already cancelled/)

  const list = (await app.inject({ method: 'GET', url: '/timers' })).json()
  assert.equal(list.live, 0)
  assert.deepEqual(list.timers.map((timer: TimerView) => timer.id), [twice.id, once.id])
  const done = (await app.inject({ method: 'GET', url: '/timers?state=done' })).json()
  assert.deepEqual(done.timers.map((timer: TimerView) => timer.id), [once.id])
})

test('at most MAX_TIMERS live timers: the next one is 429 TIMER_LIMIT until one is cancelled', async (t) => {
  const app = await buildTestApp(t, { MAX_TIMERS: 2 })
  const first = await createTimer(app, { delayMs: 10_000 })
  await createTimer(app, { delayMs: 0, intervalMs: 10_000, count: 2 })
  const third = await app.inject({ method: 'POST', url: '/timers', payload: { delayMs: 10 } })
  assert.equal(third.statusCode, 429)
  assert.equal(third.json().code, 'TIMER_LIMIT')
  assert.match(third.json().message, /MAX_TIMERS/)
  await app.inject({ method: 'DELETE', url: `/timers/${first.id}` })
  await createTimer(app, { delayMs: 10_000 })
})

test('bad timers are 400 naming the field', async (t) => {
  const app = await buildTestApp(t, { MAX_TIMER_DELAY_MS: 1000, MAX_TIMER_FIRES: 5 })
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ delayMs: 1001 }, /body\/delayMs must be <= 1000 \(MAX_TIMER_DELAY_MS\)/],
    [{ delayMs: 0, intervalMs: 1001, count: 2 }, /body\/intervalMs must be <= 1000/],
    [{ delayMs: 0, intervalMs: 10, count: 6 }, /body\/count must be <= 5/],
    [{ delayMs: 0, count: 3 }, /body\/count must be 1 without body\/intervalMs/],
    [{ delayMs: -1 }, /body\/delayMs must be >= 0/],
    [{}, /must have the property 'delayMs'/],
    [{ delayMs: 0, task: { workload: 'hash', params: { bytes: 0 } } }, /body\/task\/params\/bytes must be >= 1/],
    [{ delayMs: 0, task: { workload: 'nope' } }, /body\/task\/workload must be one of/]
  ]
  for (const [payload, message] of cases) {
    const response = await app.inject({ method: 'POST', url: '/timers', payload })
    assert.equal(response.statusCode, 400, JSON.stringify(payload))
    assert.match(response.json().message, message)
  }
  assert.equal((await app.inject({ method: 'GET', url: '/timers' })).json().live, 0)
})

test('a timer with a hash task runs it on the pool at each fire', async (t) => {
  const app = await buildTestApp(t)
  const timer = await createTimer(app, { delayMs: 0, intervalMs: 20, count: 2, task: { workload: 'hash', params: { bytes: 64, rounds: 2 } } })
  // The params as a job would have them: the given ones and the workload's defaults (whatever they are now).
  assert.equal(timer.task?.workload, 'hash')
  assert.deepEqual({ ...timer.task?.params, bytes: 64, rounds: 2, algorithm: 'sha256' }, timer.task?.params)
  await waitFor(async () => (await getTimer(app, timer.id)).state === 'done', 10_000, 'the timer to be done')
  const done = await getTimer(app, timer.id)
  assert.equal(done.fires, 2)
  assert.equal(done.running, false)
  assert.equal(done.lastResult?.fire, 2)
  assert.equal(done.lastResult?.ok, true)
  assert.match(String(done.lastResult?.value), /^[0-9a-f]{64}$/)
  assert.match(done.lastResult?.worker ?? '', /^pool thread \d+$/)
})

test('closing the app cancels every live daemon timer at once: none fires afterwards', async (t) => {
  const app = await buildApp(testConfig())
  t.after(() => app.close())
  const fires = countFires(t)
  const repeating = await createTimer(app, { delayMs: 0, intervalMs: 20, count: 1000, daemon: true })
  const pending = await createTimer(app, { delayMs: 150, daemon: true })
  await waitFor(() => (fires.get(repeating.id) ?? 0) >= 2, 5000, 'two fires')
  await app.close()
  const firedAtClose = fires.get(repeating.id)
  await sleep(400) // 20 intervals of the repeating one, past the pending one's delay
  assert.equal(fires.get(repeating.id), firedAtClose)
  assert.equal(fires.get(pending.id), undefined)
})
