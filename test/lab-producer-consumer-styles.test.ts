import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { FastifyInstance } from 'fastify'
import type { ProducerConsumerAnswer as ProducerConsumerReport } from '../src/labs/producer-consumer-schema.js'
import { liveWorkers } from '../src/threads/live-workers.js'
import { buildTestApp } from './support/app.js'

async function run (app: FastifyInstance, body: Record<string, unknown>): Promise<ProducerConsumerReport> {
  const response = await app.inject({ method: 'POST', url: '/labs/producer-consumer', payload: body })
  assert.equal(response.statusCode, 200, response.body)
  return response.json()
}

const sum = (report: ProducerConsumerReport, role: 'producer' | 'consumer', pick: (worker: ProducerConsumerReport['workers'][number]) => number) =>
  report.workers.filter((worker) => worker.role === role).reduce((total, worker) => total + pick(worker), 0)

test('sentinel, join and shutdown each end with every message consumed exactly once, with and without the GIL', async (t) => {
  const app = await buildTestApp(t)
  for (const stop of ['sentinel', 'join', 'shutdown'] as const) {
    for (const shape of [{ producers: 2, consumers: 3, capacity: 4, messages: 20_000 }, { producers: 3, consumers: 2, capacity: 1, messages: 3_000, gil: true, workUs: 20 }]) {
      const what = JSON.stringify({ stop, ...shape })
      const report = await run(app, { stop, ...shape })
      assert.equal(report.stop, stop, what)
      assert.equal(report.produced, shape.messages, what)
      assert.equal(report.consumed, shape.messages, what)
      assert.equal(report.lost, 0, what)
      assert.equal(report.duplicates, 0, what)
      assert.equal(report.leftInQueue, 0, what)
      assert.equal(report.stuck, 0, what)
      assert.equal(report.stuckProducers, 0, what)
      assert.equal(report.verified, true, what)
      assert.equal(sum(report, 'consumer', (worker) => worker.count), shape.messages, what)
      // join: the consumers never leave get(); Queue.join() returning ends the run, and they end as daemon threads.
      const consumerEnds = new Set(report.workers.filter((worker) => worker.role === 'consumer').map((worker) => worker.ended))
      assert.deepEqual([...consumerEnds], [stop === 'join' ? 'daemon' : 'returned'], what)
      assert.equal(report.ending, stop === 'join' ? 'joined' : 'returned', what)
      if (shape.gil) assert.ok(report.gilWaitMs > 0, `${what}: threads waited for the GIL`)
      else assert.equal(report.gilWaitMs, 0, what)
      assert.match(report.lesson, /^Nothing lost/, what)
    }
  }
  assert.equal(liveWorkers.count('labs'), 0)
})

test('seed-event with get(timeout=…): every producer\'s last message, put after the event, is lost — every run', async (t) => {
  const app = await buildTestApp(t)
  // By construction: each producer puts its last message only once every consumer has left its loop (a get with a
  // timeout always comes back), so nobody is there to take it. Not luck: the same count every time.
  for (const shape of [{ producers: 2, consumers: 2 }, { producers: 3, consumers: 1 }, { producers: 1, consumers: 4 }]) {
    const what = JSON.stringify(shape)
    const report = await run(app, { ...shape, capacity: 16, messages: 5_000, stop: 'seed-event', getTimeoutMs: 20 })
    assert.equal(report.produced, 5_000, what)
    assert.equal(report.lost, shape.producers, what)
    assert.equal(report.consumed, 5_000 - shape.producers, what)
    assert.equal(report.leftInQueue, shape.producers, what)
    assert.equal(report.stuck, 0, what)
    assert.equal(report.verified, false, what)
    assert.equal(report.ending, 'returned', what)
    assert.match(report.lesson, new RegExp(`${shape.producers} message\\(s\\) put after the event were never consumed`), what)
  }
  assert.equal(liveWorkers.count('labs'), 0)
})

test('seed-event: a producer whose late put finds the queue full waits forever; it is reported stuck and ended', async (t) => {
  const app = await buildTestApp(t, { LAB_MAX_MS: 20_000 })
  const started = performance.now()
  // One slot: the first late put fills it, nobody is left to take it, the second producer waits in put() for good.
  const report = await run(app, { producers: 2, consumers: 1, capacity: 1, messages: 1_000, stop: 'seed-event', getTimeoutMs: 20 })
  assert.equal(report.stuckProducers, 1)
  assert.equal(report.produced, 999)
  assert.equal(report.lost, 1)
  assert.equal(report.leftInQueue, 1)
  assert.equal(report.ending, 'stuck')
  assert.deepEqual(report.workers.filter((worker) => worker.ended === 'stuck').map((worker) => worker.role), ['producer'])
  assert.ok(performance.now() - started < 15_000, 'found by the watchdog, long before LAB_MAX_MS')
  assert.equal(liveWorkers.count('labs'), 0)
})

test('seed-event with get() as the seed wrote it: the run ends; a consumer that waits for good is reported stuck', async (t) => {
  const app = await buildTestApp(t, { LAB_MAX_MS: 20_000 })
  // Which bug shows depends on where each consumer was at the event (a late put can wake a consumer blocked in
  // get()); whatever happens is accounted for, and nothing hangs.
  for (let attempt = 0; attempt < 3; attempt++) {
    const report = await run(app, { producers: 1, consumers: 3, capacity: 16, messages: 5_000, stop: 'seed-event' })
    const what = JSON.stringify({ attempt, lost: report.lost, stuck: report.stuck })
    assert.equal(report.produced, 5_000, what)
    assert.equal(report.consumed + report.lost, report.produced, what)
    assert.equal(report.leftInQueue, report.lost, what)
    assert.equal(report.stuck, report.workers.filter((worker) => worker.role === 'consumer' && worker.ended === 'stuck').length, what)
    assert.equal(report.ending, report.stuck > 0 ? 'stuck' : 'returned', what)
    assert.equal(report.verified, report.lost === 0 && report.stuck === 0, what)
  }
  assert.equal(liveWorkers.count('labs'), 0)
  assert.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200)
})
