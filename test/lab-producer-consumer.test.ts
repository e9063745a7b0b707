import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../src/app.js'
import { testConfig } from '../src/config.js'
import { checkProducerConsumerSpec, type ProducerConsumerSpec } from '../src/labs/producer-consumer.js'
import type { ProducerConsumerAnswer as ProducerConsumerReport } from '../src/labs/producer-consumer-schema.js'
import { liveWorkers } from '../src/threads/live-workers.js'
import { buildTestApp, waitFor } from './support/app.js'

async function run (app: FastifyInstance, body: Record<string, unknown>): Promise<ProducerConsumerReport> {
  const response = await app.inject({ method: 'POST', url: '/labs/producer-consumer', payload: body })
  assert.equal(response.statusCode, 200, response.body)
  return response.json()
}

/** Every id 0 … messages − 1 was produced and consumed exactly once, and the queue never held more than capacity. */
function assertNothingLost (report: ProducerConsumerReport, shape: object): void {
  const what = JSON.stringify(shape)
  const { messages, capacity } = report
  assert.equal(report.produced, messages, what)
  assert.equal(report.consumed, messages, what)
  assert.equal(report.lost, 0, what)
  assert.equal(report.duplicates, 0, what)
  assert.equal(report.leftInQueue, 0, what)
  assert.equal(report.checksum.sum, report.checksum.expectedSum, what)
  assert.equal(report.checksum.xor, report.checksum.expectedXor, what)
  assert.equal(report.verified, true, what)
  assert.equal(report.stuck, 0, what)
  assert.equal(report.stuckProducers, 0, what)
  assert.ok(report.maxDepth >= 1 && report.maxDepth <= capacity, `${what}: maxDepth ${report.maxDepth}`)
  const producers = report.workers.filter((worker) => worker.role === 'producer')
  const consumers = report.workers.filter((worker) => worker.role === 'consumer')
  assert.equal(producers.length, report.producers, what)
  assert.equal(consumers.length, report.consumers, what)
  assert.equal(producers.reduce((sum, worker) => sum + worker.count, 0), messages, what)
  assert.equal(consumers.reduce((sum, worker) => sum + worker.count, 0), messages, what)
  for (const worker of producers) assert.ok(Math.abs(worker.count - messages / report.producers) <= 1, `${what}: an even split`)
  assert.ok(report.ms > 0 && report.startupMs > 0 && report.messagesPerSecond > 0, what)
  assert.ok(report.producerBlockedMs >= 0 && report.consumerBlockedMs >= 0, what)
}

test('consumed == produced == messages, nothing lost, for several shapes', async (t) => {
  const app = await buildTestApp(t)
  const defaults = await run(app, {})
  const { producers, consumers, capacity, messages, work, workUs, gil, switchIntervalMs, stop, getTimeoutMs } = defaults
  assert.deepEqual(
    { producers, consumers, capacity, messages, work, workUs, gil, switchIntervalMs, stop, getTimeoutMs },
    { producers: 2, consumers: 2, capacity: 16, messages: 100_000, work: 'cpu', workUs: 0, gil: false, switchIntervalMs: 5, stop: 'sentinel', getTimeoutMs: 0 })
  assert.equal(defaults.ending, 'returned')
  assert.deepEqual(defaults.cpython, { ran: false, reason: 'not requested: set "cpython": true to run the Python original too' })
  assertNothingLost(defaults, {})

  const shapes = [
    { producers: 1, consumers: 1, capacity: 1, messages: 20_000 },
    { producers: 3, consumers: 2, capacity: 1, messages: 20_000 },
    { producers: 4, consumers: 1, capacity: 8, messages: 50_000 },
    { producers: 1, consumers: 4, capacity: 8, messages: 50_000 },
    { producers: 2, consumers: 2, capacity: 4, messages: 2_000, workUs: 50 },
    { producers: 3, consumers: 2, capacity: 65_536, messages: 10_001 }
  ]
  for (const shape of shapes) {
    const report = await run(app, shape)
    assertNothingLost(report, shape)
    if (shape.capacity === 1) assert.equal(report.maxDepth, 1)
  }
  assert.equal(liveWorkers.count('labs'), 0)
})

test('a slow consumer fills the queue: producers spend the time blocked on a full queue', async (t) => {
  const app = await buildTestApp(t)
  // One consumer doing 200 µs per message behind 2 producers: the queue is full nearly all the time.
  const slowConsumer = await run(app, { producers: 2, consumers: 1, capacity: 4, messages: 1000, workUs: 200 })
  assertNothingLost(slowConsumer, { workUs: 200 })
  assert.equal(slowConsumer.maxDepth, 4)
  assert.ok(slowConsumer.producerBlockedMs > slowConsumer.consumerBlockedMs,
    `producers blocked ${slowConsumer.producerBlockedMs} ms, consumers ${slowConsumer.consumerBlockedMs} ms`)
  // A slow consumer's busy work bounds the run from below: 1000 × 200 µs = 200 ms.
  assert.ok(slowConsumer.ms >= 190, `ms ${slowConsumer.ms}`)
})

test('bad input is 400 naming the field', async (t) => {
  const app = await buildTestApp(t, { LAB_MAX_WORKERS: 4, LAB_MAX_OPERATIONS: 1000, LAB_MAX_MS: 1000 })
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ capacity: 0 }, /body\/capacity must be >= 1/],
    [{ capacity: 65_537 }, /body\/capacity must be <= 65536/],
    [{ producers: 5 }, /body\/producers must be <= 4/],
    [{ consumers: 0 }, /body\/consumers must be >= 1/],
    [{ messages: 1001 }, /body\/messages must be <= 1000/],
    [{ workUs: 10_001 }, /body\/workUs must be <= 10000/],
    [{ producers: '2' }, /body\/producers must be integer/],
    [{ color: 'red' }, /body must not have the property 'color'/],
    [{ work: 'disk' }, /body\/work must be one of: cpu, io/],
    [{ stop: 'event' }, /body\/stop must be one of: sentinel, join, shutdown, seed-event/],
    [{ gil: 'yes' }, /body\/gil must be boolean/],
    [{ switchIntervalMs: 0.05 }, /body\/switchIntervalMs must be >= 0.1/],
    [{ switchIntervalMs: 1001 }, /body\/switchIntervalMs must be <= 1000/],
    [{ getTimeoutMs: -1 }, /body\/getTimeoutMs must be >= 0/],
    [{ getTimeoutMs: 10_001 }, /body\/getTimeoutMs must be <= 10000/],
    [{ getTimeoutMs: 50 }, /body\/getTimeoutMs applies to stop seed-event only/],
    [{ cpython: 1 }, /body\/cpython must be boolean/],
    [{ stop: 'seed-event', producers: 4, messages: 3 }, /body\/messages must be >= body\/producers \(4\) with stop seed-event/],
    // Under the GIL cpu work runs one consumer at a time: 4 consumers × 1000 × 2 ms is still 2 s of work.
    [{ consumers: 4, messages: 1000, workUs: 2000, gil: true }, /at least 2000 ms of cpu work on 1 consumer\(s\) at once \(one at a time under the GIL\).*LAB_MAX_MS \(1000\)/],
    // CPython always has its GIL here: with cpython its cpu work runs one consumer at a time even when gil is false.
    [{ consumers: 4, messages: 1000, workUs: 1500, cpython: true }, /at least 1500 ms of cpu work on 1 consumer\(s\) at once \(one at a time: with body\/cpython true it runs on CPython too, which always has its GIL here\).*LAB_MAX_MS \(1000\)/],
    // 1000 messages × 10 ms on at most 1 consumer = 10 s of work, past LAB_MAX_MS: refused before any thread starts.
    [{ consumers: 1, messages: 1000, workUs: 10_000 }, /body\/messages × body\/workUs .* LAB_MAX_MS \(1000\)/]
  ]
  for (const [payload, message] of cases) {
    const response = await app.inject({ method: 'POST', url: '/labs/producer-consumer', payload })
    assert.equal(response.statusCode, 400, JSON.stringify(payload))
    assert.match(response.json().message, message, JSON.stringify(payload))
  }
  assert.equal(liveWorkers.count('labs'), 0)
})

test('a run past LAB_MAX_MS is stopped: 504 LAB_TIMED_OUT, its threads terminated, the service still answers', async (t) => {
  const app = await buildTestApp(t, { LAB_MAX_MS: 4000 })
  // Capacity 1 and 10 M messages take minutes (every message is a hand-off between threads).
  const started = performance.now()
  const response = await app.inject({ method: 'POST', url: '/labs/producer-consumer', payload: { producers: 1, consumers: 1, capacity: 1, messages: 10_000_000 } })
  const elapsed = performance.now() - started
  assert.equal(response.statusCode, 504, response.body)
  assert.equal(response.json().code, 'LAB_TIMED_OUT')
  assert.match(response.json().message, /LAB_MAX_MS \(4000 ms\).* of 10000000 messages/)
  assert.ok(elapsed >= 3900 && elapsed < 10_000, `answered after ${elapsed} ms`)
  assert.equal(liveWorkers.count('labs'), 0)
  assert.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200)
})

test('one run at a time (429 LAB_BUSY); closing the app stops the run in flight: 503, no thread left', async (t) => {
  const app = await buildApp(testConfig())
  t.after(() => app.close())
  const pending = app.inject({ method: 'POST', url: '/labs/producer-consumer', payload: { producers: 2, consumers: 2, capacity: 1, messages: 10_000_000 } })
  await waitFor(() => liveWorkers.count('labs') === 4, 20_000, 'four lab threads')
  const second = await app.inject({ method: 'POST', url: '/labs/producer-consumer', payload: {} })
  assert.equal(second.statusCode, 429, second.body)
  assert.equal(second.json().code, 'LAB_BUSY')
  await app.close()
  const response = await pending
  assert.equal(response.statusCode, 503, response.body)
  assert.equal(response.json().code, 'SHUTTING_DOWN')
  assert.equal(liveWorkers.count('labs'), 0)
})

test('the up-front check counts CPython\'s GIL only when cpython is asked for', () => {
  const config = testConfig({ LAB_MAX_MS: 1000 })
  const spec: ProducerConsumerSpec = { producers: 1, consumers: 4, capacity: 16, messages: 1000, work: 'cpu', workUs: 1500, gil: false, switchIntervalMs: 5, stop: 'sentinel', getTimeoutMs: 0 }
  // 1.5 s of cpu work over 4 free-threaded consumers on 4 cores: 375 ms, it fits; CPython does it one at a time.
  assert.equal(checkProducerConsumerSpec(spec, config, { cores: 4 }), undefined)
  assert.match(checkProducerConsumerSpec(spec, config, { cores: 4, cpython: true }) ?? '', /1500 ms of cpu work on 1 consumer/)
  // io work (time.sleep) releases CPython's GIL: every consumer sleeps at once, cpython or not.
  assert.equal(checkProducerConsumerSpec({ ...spec, work: 'io' }, config, { cores: 4, cpython: true }), undefined)
})
