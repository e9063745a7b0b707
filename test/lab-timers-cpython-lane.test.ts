import assert from 'node:assert/strict'
import { test } from 'node:test'
import { TimerLimit } from '../src/errors.js'
import { TimerRegistry, type TimerCpythonAnswer, type TimerSpec, type TimerView } from '../src/labs/timers.js'
import { waitFor } from './support/app.js'

/**
 * Issue 14, review item 2: the Python timers of a registry run one at a time, first come first served, and a timer
 * keeps its MAX_TIMERS slot until its CPython run has ended. A fake run (a promise the test settles) stands for
 * python/timers.py; test/lab-timers-cpython.test.ts runs the real one.
 */

interface FakeRun { spec: TimerSpec, signal: AbortSignal, end: (answer: TimerCpythonAnswer) => void }

function fakeRegistry (maxTimers: number) {
  const runs: FakeRun[] = []
  let running = 0
  let mostAtOnce = 0
  const registry = new TimerRegistry({
    maxTimers,
    runTask: () => Promise.reject(new Error('no task in these timers')),
    cpython: {
      notRequested: { ran: false, reason: 'not requested' },
      run: (spec, signal) => new Promise<TimerCpythonAnswer>((resolve, reject) => {
        running++
        mostAtOnce = Math.max(mostAtOnce, running)
        const done = () => { running-- }
        // As runOriginal does: the abort kills the process and the run throws LAB_STOPPED.
        signal.addEventListener('abort', () => { done(); reject(new Error('LAB_STOPPED')) }, { once: true })
        runs.push({ spec, signal, end: (answer) => { done(); resolve(answer) } })
      })
    }
  })
  return { registry, runs, mostAtOnce: () => mostAtOnce }
}

const answer = (fires: number): TimerCpythonAnswer => ({ ran: true, result: { fires, count: fires, delayMs: 0, intervalMs: null, maxLateMs: 0, firedAtMs: [], gapsMs: [], createdToLastFireMs: null } })
const runOf = (view: TimerView) => view.cpythonRun?.state

test('three cpython timers: their Python runs one at a time, in the order their Node timers finished', async () => {
  const { registry, runs, mostAtOnce } = fakeRegistry(10)
  const ids = [0, 1, 2].map((delayMs) => registry.create({ delayMs: delayMs * 20, count: 1, daemon: false, cpython: true }).id)
  assert.deepEqual(ids.map((id) => runOf(registry.get(id))), ['waiting', 'waiting', 'waiting'])
  await waitFor(() => ids.every((id) => registry.get(id).state === 'done'), 5000, 'the Node timers')

  assert.equal(runs.length, 1, 'only the first Python timer has started')
  const [first, second, third] = ids.map((id) => registry.get(id))
  assert.equal(runOf(first!), 'running')
  assert.match(first!.cpython.reason ?? '', /^running:/)
  assert.deepEqual([runOf(second!), second!.cpythonRun!.ahead], ['queued', 1])
  assert.deepEqual([runOf(third!), third!.cpythonRun!.ahead], ['queued', 2])
  assert.equal(third!.cpython.reason, 'waiting: queued behind 2 other Python timers (they run one at a time)')

  runs[0]!.end(answer(1))
  await waitFor(() => runs.length === 2, 1000, 'the second turn')
  assert.deepEqual([runOf(registry.get(ids[2]!)), registry.get(ids[2]!).cpythonRun!.ahead], ['queued', 1])
  runs[1]!.end(answer(2))
  await waitFor(() => runs.length === 3, 1000, 'the third turn')
  runs[2]!.end(answer(3))
  await waitFor(() => ids.every((id) => runOf(registry.get(id)) === 'done'), 1000, 'every Python timer')
  assert.equal(mostAtOnce(), 1)
  const views = ids.map((id) => registry.get(id))
  assert.deepEqual(views.map((view) => view.cpython.result?.fires), [1, 2, 3], 'each timer has its own answer, first come first served')
  // Each run started once the one before it had ended.
  for (let i = 1; i < views.length; i++) {
    assert.ok(Date.parse(views[i]!.cpythonRun!.startedAt!) >= Date.parse(views[i - 1]!.cpythonRun!.endedAt!))
  }
  assert.equal(registry.live, 0)
})

test('a timer keeps its MAX_TIMERS slot until its CPython run has ended', async () => {
  const { registry, runs } = fakeRegistry(2)
  const a = registry.create({ delayMs: 0, count: 1, daemon: false, cpython: true })
  const b = registry.create({ delayMs: 0, count: 1, daemon: false, cpython: true })
  await waitFor(() => registry.get(b.id).state === 'done', 5000, 'the Node timers')
  assert.equal(registry.live, 2, 'done, but one Python timer runs and one is queued')
  assert.throws(() => registry.create({ delayMs: 0, count: 1, daemon: false }), (error: Error) => error instanceof TimerLimit && /2 timers are live \(MAX_TIMERS\)/.test(error.message))

  runs[0]!.end(answer(1))
  await waitFor(() => registry.live === 1, 1000, 'the first slot')
  assert.equal(runOf(registry.get(a.id)), 'done')
  assert.equal(runOf(registry.get(b.id)), 'running')
  const c = registry.create({ delayMs: 10_000, count: 1, daemon: false })
  assert.equal(registry.live, 2)
  registry.cancel(c.id)
  runs[1]!.end(answer(1))
  await waitFor(() => registry.live === 0, 1000, 'every slot')
})

test('shutdown kills the running Python timer, marks the queued ones not run, and the cancelled timer ran none', async () => {
  const { registry, runs } = fakeRegistry(10)
  const ids = [0, 1, 2].map(() => registry.create({ delayMs: 0, count: 1, daemon: false, cpython: true }).id)
  const cancelled = registry.create({ delayMs: 10_000, count: 1, daemon: false, cpython: true })
  assert.equal(registry.cancel(cancelled.id).cpython.reason, 'not run: the timer was cancelled before its last fire')
  assert.equal(runOf(registry.get(cancelled.id)), 'not run')
  const pending = registry.create({ delayMs: 10_000, count: 1, daemon: true, cpython: true })
  await waitFor(() => ids.every((id) => registry.get(id).state === 'done'), 5000, 'the Node timers')
  assert.equal(runs.length, 1)

  await registry.shutdown(1000)
  const [running, ...queued] = ids.map((id) => registry.get(id))
  assert.equal(runs[0]!.signal.aborted, true, 'the running python process is killed')
  assert.deepEqual([runOf(running!), running!.cpython.reason], ['stopped', 'stopped: the service shut down while the Python timer ran; its python process was killed'])
  for (const view of queued) {
    assert.deepEqual([runOf(view), view.cpython.reason, view.cpythonRun!.startedAt], ['not run', 'not run: the service shut down while it was queued for its turn', null])
  }
  assert.deepEqual([runOf(registry.get(pending.id)), registry.get(pending.id).cpython.reason], ['not run', 'not run: the service was shutting down'])
  assert.equal(runs.length, 1, 'no queued run started after the shutdown')
  assert.equal(registry.live, 0)
})

test('a timer without cpython has no cpythonRun', () => {
  const { registry } = fakeRegistry(1)
  const view = registry.create({ delayMs: 10_000, count: 1, daemon: false })
  assert.equal(view.cpythonRun, null)
  registry.close()
})
