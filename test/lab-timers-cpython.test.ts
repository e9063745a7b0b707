import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { after, test } from 'node:test'
import { promisify } from 'node:util'
import type { TimerView } from '../src/labs/timers.js'
import { buildTestApp, waitFor } from './support/app.js'
import { pythonForTests } from './support/python.js'
import { pythonLeakCheck } from './support/python-leaks.js'

/** POST /timers with cpython: true runs the same timer on threading.Timer; its answer is kept on the timer. */

const { executable, skip } = await pythonForTests()
after(pythonLeakCheck())

/** python/timers.py processes this test process has started and that run now (pgrep exits 1 for none). */
async function timerPythons (): Promise<number> {
  try {
    const { stdout } = await promisify(execFile)('pgrep', ['-P', String(process.pid), '-f', 'python/timers.py'])
    return stdout.trim().split('\n').length
  } catch {
    return 0
  }
}

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

test('three cpython timers at once: their Python timers run one at a time, each answers, and none outlives the app', { skip }, async (t) => {
  const app = await buildTestApp(t, { PYTHON: executable })
  const ids: string[] = []
  for (let i = 0; i < 3; i++) {
    const response = await app.inject({ method: 'POST', url: '/timers', payload: { delayMs: 0, intervalMs: 100, count: 3, cpython: true } })
    assert.equal(response.statusCode, 201, response.body)
    ids.push(response.json().id)
  }
  let mostAtOnce = 0
  const sampling = new AbortController()
  const sampler = (async () => {
    while (!sampling.signal.aborted) {
      mostAtOnce = Math.max(mostAtOnce, await timerPythons())
      await new Promise((resolve) => setTimeout(resolve, 15))
    }
  })()
  const view = async (id: string) => (await app.inject({ method: 'GET', url: `/timers/${id}` })).json() as TimerView
  let sawQueued = false
  await waitFor(async () => {
    const views = await Promise.all(ids.map(view))
    sawQueued ||= views.some((timer) => timer.cpythonRun?.state === 'queued')
    return views.every((timer) => timer.cpythonRun?.state === 'done')
  }, 20_000, 'the three Python timers')
  sampling.abort()
  await sampler
  const views = await Promise.all(ids.map(view))
  for (const timer of views) assert.equal(timer.cpython.ran, true, timer.cpython.reason)
  assert.deepEqual(views.map((timer) => timer.cpython.result!.fires), [3, 3, 3])
  assert.ok(sawQueued, 'a Python timer waited for its turn')
  assert.equal(mostAtOnce, 1, 'never two python/timers.py processes at once')
  // Their runs, in the order they started, do not overlap: each starts once the one before it has ended.
  const runs = views.map((timer) => timer.cpythonRun!).sort((a, b) => Date.parse(a.startedAt!) - Date.parse(b.startedAt!))
  for (let i = 1; i < runs.length; i++) assert.ok(Date.parse(runs[i]!.startedAt!) >= Date.parse(runs[i - 1]!.endedAt!), JSON.stringify(runs))
  assert.equal((await app.inject({ method: 'GET', url: '/timers' })).json().live, 0)
})

test('closing the app kills a running Python timer and drops the queued one: no python process is left', { skip }, async (t) => {
  const app = await buildTestApp(t, { PYTHON: executable })
  const ids: string[] = []
  for (let i = 0; i < 2; i++) {
    ids.push((await app.inject({ method: 'POST', url: '/timers', payload: { delayMs: 0, intervalMs: 300, count: 5, cpython: true } })).json().id)
  }
  await waitFor(async () => await timerPythons() === 1, 10_000, 'the first Python timer to start')
  const started = performance.now()
  await app.close()
  assert.ok(performance.now() - started < 3000, 'the close did not wait for the Python timer\'s fires')
  assert.equal(await timerPythons(), 0, 'the python process was killed and has exited')
})

test('a done timer whose Python timer runs still holds its MAX_TIMERS slot: POST answers 429 TIMER_LIMIT until it has ended', { skip }, async (t) => {
  const app = await buildTestApp(t, { PYTHON: executable, MAX_TIMERS: 1 })
  const first = (await app.inject({ method: 'POST', url: '/timers', payload: { delayMs: 0, intervalMs: 150, count: 4, cpython: true } })).json() as TimerView
  let timer = first
  await waitFor(async () => {
    timer = (await app.inject({ method: 'GET', url: `/timers/${first.id}` })).json()
    return timer.cpythonRun?.state === 'running'
  }, 10_000, 'its Python timer to run')
  assert.equal(timer.state, 'done')
  const refused = await app.inject({ method: 'POST', url: '/timers', payload: { delayMs: 0 } })
  assert.equal(refused.statusCode, 429, refused.body)
  assert.equal(refused.json().code, 'TIMER_LIMIT')
  assert.match(refused.json().message, /1 timers are live \(MAX_TIMERS\)/)
  assert.equal((await app.inject({ method: 'GET', url: '/timers' })).json().live, 1)
  await waitFor(async () => (await app.inject({ method: 'GET', url: `/timers/${first.id}` })).json().cpythonRun.state === 'done', 10_000, 'its Python timer to end')
  assert.equal((await app.inject({ method: 'POST', url: '/timers', payload: { delayMs: 0 } })).statusCode, 201)
})
