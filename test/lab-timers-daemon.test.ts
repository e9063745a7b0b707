import assert from 'node:assert/strict'
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { test, type TestContext } from 'node:test'
import { buildApp } from '../src/app.js'
import { testConfig } from '../src/config.js'
import { TimerRegistry, timerFireChannel, type TimerSpec } from '../src/labs/timers.js'
import { buildTestApp } from './support/app.js'

/**
 * Issue 14, item 5: at shutdown a timer does what a threading.Timer's thread does at exit — a daemon one is dropped,
 * a non-daemon one is waited for (here within DAEMON_SHUTDOWN_WAIT_MS, a bound CPython's join does not have).
 */

const noTask = async () => { throw new Error('these timers have no task') }
const registryOf = (t: TestContext) => {
  const registry = new TimerRegistry({ maxTimers: 10, runTask: noTask })
  t.after(() => registry.close())
  return registry
}
const spec = (fields: Partial<TimerSpec>): TimerSpec => ({ delayMs: 0, count: 1, daemon: false, ...fields })

test('shutdown drops daemon timers at once and lets non-daemon ones due within the wait fire, re-armed ones too', async (t) => {
  const registry = registryOf(t)
  const daemon = registry.create(spec({ delayMs: 100, daemon: true }))
  const oneShot = registry.create(spec({ delayMs: 100 }))
  const repeating = registry.create(spec({ delayMs: 0, intervalMs: 100, count: 3 }))
  const late = registry.create(spec({ delayMs: 60_000 }))
  const summary = await registry.shutdown(5_000)
  // Resolved once the waited-for timers were done: had it run to the end of the wait, nothing would be 'done'.
  assert.deepEqual(summary, { daemonCancelled: 1, firedDuringWait: 4, doneDuringWait: 2, cancelledPastWait: 1 })
  const state = (id: string) => { const view = registry.get(id); return [view.state, view.fires] }
  assert.deepEqual(state(daemon.id), ['cancelled', 0], 'a daemon Timer never fires at exit')
  assert.deepEqual(state(oneShot.id), ['done', 1], 'a non-daemon Timer is joined: it fires')
  assert.deepEqual(state(repeating.id), ['done', 3], 'the seed\'s re-armed timer: every fire within the wait')
  assert.deepEqual(state(late.id), ['cancelled', 0], 'a fire due after the wait: cancelled at once, not waited for')
  assert.equal(registry.live, 0)
  assert.throws(() => registry.create(spec({})), /shutting down/i)
})

test('a repeating non-daemon timer fires during the wait and is cancelled when its next fire is past it', async (t) => {
  const registry = registryOf(t)
  const repeating = registry.create(spec({ delayMs: 0, intervalMs: 100, count: 1000 }))
  const started = performance.now()
  const summary = await registry.shutdown(450)
  const tookMs = performance.now() - started
  const view = registry.get(repeating.id)
  assert.equal(view.state, 'cancelled')
  assert.ok(view.fires >= 1 && view.fires <= 5, `${view.fires} fires in a 450 ms wait, 100 ms apart`)
  assert.deepEqual(summary, { daemonCancelled: 0, firedDuringWait: view.fires, doneDuringWait: 0, cancelledPastWait: 1 })
  // Cancelled at the re-arm whose fire would come after the wait, not at its end: never later than the wait.
  assert.ok(tookMs < 450 + 200, `shutdown took ${tookMs.toFixed(0)} ms of a 450 ms wait`)
  assert.equal(registry.shutdown(450), registry.shutdown(450), 'a second call answers the same promise')
})

test('POST /timers takes daemon (default false, as threading.Timer) and shows it; closing the app fires the non-daemon timer only', async (t) => {
  const app = await buildApp(testConfig({ DAEMON_SHUTDOWN_WAIT_MS: 3_000 }))
  t.after(() => app.close())
  const fired = new Set<string>()
  const onFire = (message: unknown) => { fired.add((message as { id: string }).id) }
  subscribe(timerFireChannel.name, onFire)
  t.after(() => unsubscribe(timerFireChannel.name, onFire))
  const create = async (body: Record<string, unknown>) => {
    const response = await app.inject({ method: 'POST', url: '/timers', payload: body })
    assert.equal(response.statusCode, 201, response.body)
    return response.json() as { id: string, daemon: boolean }
  }
  const nonDaemon = await create({ delayMs: 300 })
  const daemon = await create({ delayMs: 300, daemon: true })
  assert.equal(nonDaemon.daemon, false)
  assert.equal(daemon.daemon, true)
  const bad = await app.inject({ method: 'POST', url: '/timers', payload: { delayMs: 0, daemon: 'yes' } })
  assert.equal(bad.statusCode, 400)
  assert.match(bad.json().message, /body\/daemon must be boolean/)
  await app.close()
  assert.ok(fired.has(nonDaemon.id), 'the non-daemon timer fired before the app had closed')
  assert.ok(!fired.has(daemon.id), 'the daemon timer was cancelled at once')
})

test('a non-daemon timer due past DAEMON_SHUTDOWN_WAIT_MS does not hold the shutdown: it is cancelled at once', async (t) => {
  const app = await buildTestApp(t)
  const response = await app.inject({ method: 'POST', url: '/timers', payload: { delayMs: 3_600_000 } })
  assert.equal(response.statusCode, 201)
  const started = performance.now()
  await app.close()
  // Its fire is due past DAEMON_SHUTDOWN_WAIT_MS (5 s): cancelled at once rather than waited for.
  assert.ok(performance.now() - started < 4_000)
})
