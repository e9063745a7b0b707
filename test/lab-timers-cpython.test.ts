import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { TimerView } from '../src/labs/timers.js'
import { buildTestApp, waitFor } from './support/app.js'
import { pythonForTests } from './support/python.js'

/** POST /timers with cpython: true runs the same timer on threading.Timer; its answer is kept on the timer. */

const { executable, skip } = await pythonForTests()

test('a timer without cpython says how to ask for it', async (t) => {
  const app = await buildTestApp(t)
  const response = await app.inject({ method: 'POST', url: '/timers', payload: { delayMs: 0 } })
  assert.equal(response.statusCode, 201)
  assert.equal(response.json().cpython.ran, false)
  assert.match(response.json().cpython.reason, /set "cpython": true/)
})

test('cpython: true is refused with a task, or for a timer longer than LAB_MAX_MS, naming the field and the limit', async (t) => {
  const app = await buildTestApp(t, { LAB_MAX_MS: 1000 })
  for (const [payload, message] of [
    [{ delayMs: 0, cpython: true, task: { workload: 'hash' } }, /body\/cpython runs the timer on threading.Timer without a task/],
    [{ delayMs: 500, intervalMs: 100, count: 7, cpython: true }, /body\/cpython needs a timer whose fires all come within LAB_MAX_MS \(1000 ms\): delayMs \+ intervalMs × \(count − 1\) = 1100/],
    [{ delayMs: 0, cpython: 'yes' }, /body\/cpython must be boolean/]
  ] as const) {
    const response = await app.inject({ method: 'POST', url: '/timers', payload })
    assert.equal(response.statusCode, 400, response.body)
    assert.match(response.json().message, message)
  }
})

test('cpython: true runs the same timer on threading.Timer after the Node one: same fires, its lateness and gaps', { skip }, async (t) => {
  const app = await buildTestApp(t, { PYTHON: executable })
  const response = await app.inject({ method: 'POST', url: '/timers', payload: { delayMs: 50, intervalMs: 50, count: 10, cpython: true } })
  assert.equal(response.statusCode, 201, response.body)
  const created = response.json() as TimerView
  assert.equal(created.cpython.ran, false)
  assert.match(created.cpython.reason ?? '', /^waiting: the Python timer runs once the Node timer has made its last fire/)
  let timer = created
  await waitFor(async () => {
    timer = (await app.inject({ method: 'GET', url: `/timers/${created.id}` })).json()
    return timer.state === 'done' && !/^(waiting|running)/.test(timer.cpython.reason ?? '')
  }, 20_000, 'both timers to finish')
  assert.equal(timer.cpython.ran, true, timer.cpython.reason)
  assert.equal(timer.cpython.script, 'python/timers.py')
  const python = timer.cpython.result!
  assert.equal(timer.fires, 10)
  assert.equal(python.fires, 10)
  assert.equal(python.gapsMs.length, 9)
  // A fire is never early, in either runtime: each gap is at least the interval (a millisecond of clock rounding aside).
  for (const gap of python.gapsMs) assert.ok(gap >= 49, `a CPython gap of ${gap} ms`)
  assert.ok(python.createdToLastFireMs! >= 50 + 9 * 50 - 1)
  assert.ok(python.maxLateMs >= 0 && timer.maxLateMs >= 0)
})

test('a timer cancelled before its last fire runs no CPython original, and says so', async (t) => {
  const app = await buildTestApp(t, { PYTHON: executable })
  const response = await app.inject({ method: 'POST', url: '/timers', payload: { delayMs: 10_000, cpython: true } })
  const cancelled = await app.inject({ method: 'DELETE', url: `/timers/${response.json().id}` })
  assert.equal(cancelled.json().cpython.ran, false)
  assert.equal(cancelled.json().cpython.reason, 'not run: the timer was cancelled before its last fire')
})
