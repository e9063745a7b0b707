import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { runProducerConsumerOriginal } from '../src/labs/producer-consumer-cpython.js'
import type { ProducerConsumerSpec } from '../src/labs/producer-consumer.js'
import type { ProducerConsumerAnswer as ProducerConsumerReport } from '../src/labs/producer-consumer-schema.js'
import { liveWorkers } from '../src/threads/live-workers.js'
import { buildTestApp } from './support/app.js'
import { pythonForTests } from './support/python.js'

const { executable, skip } = await pythonForTests()

async function run (app: FastifyInstance, body: Record<string, unknown>): Promise<ProducerConsumerReport> {
  const response = await app.inject({ method: 'POST', url: '/labs/producer-consumer', payload: body })
  assert.equal(response.statusCode, 200, response.body)
  return response.json()
}

// 2 000 messages × 200 µs = 400 ms of work. The queue holds them all, so the one producer is done at once and only
// the consumers' work is timed (a small queue adds the producer's GIL hand-offs on top).
const SHAPE = { producers: 1, capacity: 2_000, messages: 2_000, workUs: 200 }

/**
 * The shortest of `tries` runs of each body, taken in turn (a, b, a, b, …): the runs least disturbed by other load on
 * a small, shared machine, and a burst of load hits both bodies alike.
 */
async function fastest (app: FastifyInstance, bodies: Array<Record<string, unknown>>, tries = 3): Promise<number[]> {
  const best = bodies.map(() => Infinity)
  for (let i = 0; i < tries; i++) {
    for (const [at, body] of bodies.entries()) {
      const report = await run(app, { ...SHAPE, ...body })
      assert.equal(report.verified, true, JSON.stringify(body))
      best[at] = Math.min(best[at]!, report.ms)
    }
  }
  return best
}

/** messages × workUs: the work one consumer at a time needs, at the least. */
const SERIAL_MS = SHAPE.messages * SHAPE.workUs / 1000

const consumersOf = (report: ProducerConsumerReport) => report.workers.filter((worker) => worker.role === 'consumer')

/**
 * The consumers' own clocks (Linux: the scheduler's per-thread account, src/measure/thread-cpu.ts), ÷ the run's wall
 * time: `cores`, the cores they kept busy at once (the machine's other load can only lower it); `wanting`, how many
 * of them were running or waiting for a core at once (load moves time from running to waiting, not out of the sum);
 * `gilWaiting`, how many waited for the GIL at once.
 */
function shares (report: ProducerConsumerReport) {
  assert.notEqual(report.consumerCpuMs, null, 'every consumer\'s clock was read')
  assert.notEqual(report.consumerCoreWaitMs, null)
  const gilWaitMs = consumersOf(report).reduce((sum, worker) => sum + worker.gilWaitMs, 0)
  return { cores: report.consumerCpuMs! / report.ms, wanting: (report.consumerCpuMs! + report.consumerCoreWaitMs!) / report.ms, gilWaiting: gilWaitMs / report.ms }
}
const clocks = process.platform === 'linux' ? false : 'per-thread clocks are read from /proc (Linux)'

test('under the GIL, cpu work per message gains nothing from more consumers; io work does', async (t) => {
  const app = await buildTestApp(t)
  // Whatever the load: one consumer at a time holds the GIL, so 4 consumers never do the work in less than the sum
  // of it — the time one consumer needs at the least. (Load on the machine only makes runs longer.)
  const [cpu4] = await fastest(app, [{ gil: true, work: 'cpu', consumers: 4 }]) as [number]
  assert.ok(cpu4 >= SERIAL_MS, `4 consumers still do ${SERIAL_MS} ms of work one at a time: ${cpu4.toFixed(0)} ms`)
  const [io1, io4] = await fastest(app, [{ gil: true, work: 'io', consumers: 1 }, { gil: true, work: 'io', consumers: 4 }]) as [number, number]
  assert.ok(io1 >= SERIAL_MS, `one io consumer sleeps ${SERIAL_MS} ms in all: ${io1.toFixed(0)} ms`)
  assert.ok(io4 <= 0.5 * io1, `io under the GIL: 4 consumers ${io4.toFixed(0)} ms, 1 consumer ${io1.toFixed(0)} ms`)
  const withGil = await run(app, { ...SHAPE, gil: true, work: 'cpu', consumers: 4 })
  assert.ok(withGil.gilWaitMs > withGil.ms, `4 cpu consumers spend most of their time waiting for the GIL: ${withGil.gilWaitMs} ms over ${withGil.ms} ms`)
  assert.match(withGil.lesson, /more consumers do not help/)
  assert.equal(liveWorkers.count('labs'), 0)
})

// The two tests below judge each run by its own clocks, never one run's time against another's: on a small machine
// shared with other load, a thread that spins without a pause is preempted more than threads that take turns and
// sleep, so comparing wall times would judge the neighbours. Every run of them must pass.

test('under the GIL, 4 cpu consumers take turns: one core\'s worth of CPU at most, the other three wait for the GIL', { skip: clocks }, async (t) => {
  const app = await buildTestApp(t)
  for (let i = 0; i < 3; i++) {
    const report = await run(app, { ...SHAPE, gil: true, work: 'cpu', consumers: 4 })
    assert.equal(report.verified, true)
    const { cores, gilWaiting } = shares(report)
    const seen = `${report.ms.toFixed(0)} ms: ${cores.toFixed(2)} cores busy, ${gilWaiting.toFixed(2)} consumers waiting for the GIL on average`
    // The serial-sum bound: the work is done one consumer at a time, however free the cores are.
    t.diagnostic(seen)
    assert.ok(report.ms >= SERIAL_MS, `no faster than the ${SERIAL_MS} ms of work done one at a time: ${seen}`)
    // Only the holder runs (a waiter sleeps): the consumers' CPU time never adds up to more than the wall time.
    // Other load can only lower it.
    assert.ok(cores <= 1.15, `the consumers keep at most one core busy: ${seen}`)
    // While one works, the other three wait for the GIL (≈ 3; the start, the end and the hand-offs take a little).
    assert.ok(gilWaiting >= 0.6 * 3, `the three others wait for the GIL: ${seen}`)
  }
  assert.equal(liveWorkers.count('labs'), 0)
})

test('without the GIL, both cpu consumers run or wait for a core at once: nothing holds one back, no GIL wait', { skip: clocks }, async (t) => {
  const app = await buildTestApp(t)
  for (let i = 0; i < 3; i++) {
    const report = await run(app, { ...SHAPE, gil: false, work: 'cpu', consumers: 2 })
    assert.equal(report.verified, true)
    const { cores, wanting, gilWaiting } = shares(report)
    const seen = `${report.ms.toFixed(0)} ms: ${cores.toFixed(2)} cores busy, ${wanting.toFixed(2)} consumers running or waiting for a core on average`
    t.diagnostic(seen)
    assert.equal(report.gilWaitMs, 0, 'no GIL, no wait for it')
    assert.equal(gilWaiting, 0)
    // Both spin from start to end: each is on a core or waiting for one all the time (≈ 2 whatever the load; under
    // the GIL a consumer sleeps while another holds it). How many cores they got (`cores`: ≈ 2 on 2 free cores, see
    // docs/labs/producer-consumer.md) depends on the neighbours, so it is shown, not judged.
    assert.ok(wanting >= 0.8 * 2, `both consumers want a core the whole run: ${seen}`)
  }
  assert.equal(liveWorkers.count('labs'), 0)
})

test('with python3 the cpython answer is there, in the same field names, and agrees in direction', { skip }, async (t) => {
  const app = await buildTestApp(t)
  const report = await run(app, { ...SHAPE, messages: 500, capacity: 500, consumers: 2, work: 'io', cpython: true })
  assert.equal(report.cpython.ran, true, report.cpython.reason)
  assert.equal(report.cpython.script, 'python/producer_consumer.py')
  const python = report.cpython.result!
  for (const field of ['producers', 'consumers', 'capacity', 'messages', 'work', 'workUs', 'stop', 'produced', 'consumed', 'lost', 'stuck', 'verified'] as const) {
    assert.equal(python[field], report[field], field)
  }

  const spec: ProducerConsumerSpec = { ...SHAPE, consumers: 1, work: 'cpu', gil: true, switchIntervalMs: 5, stop: 'sentinel', getTimeoutMs: 0 }
  const original = async (change: Partial<ProducerConsumerSpec>) => {
    const answer = await runProducerConsumerOriginal({ requested: true, spec: { ...spec, ...change }, executable, maxMs: 30_000, signal: new AbortController().signal })
    assert.equal(answer.ran, true, answer.reason)
    assert.equal(answer.result?.verified, true)
    assert.equal(typeof answer.result!.consumerCpuMs, 'number', 'every consumer returned: its time.thread_time() is there')
    return { ms: answer.result!.ms!, consumerCpuMs: answer.result!.consumerCpuMs! }
  }
  // CPython, with its GIL: pure-Python work per message does not get faster with 4 consumers; time.sleep does.
  const cpu1 = await original({ consumers: 1 })
  const cpu4 = await original({ consumers: 4 })
  assert.ok(cpu4.ms >= SERIAL_MS, `CPython cpu: 4 consumers ${cpu4.ms} ms, no less than the ${SERIAL_MS} ms of work (1 consumer: ${cpu1.ms} ms)`)
  // CPython's GIL: the 4 consumers' time.thread_time() adds up to one core's worth at most, whatever the load.
  assert.ok(cpu4.consumerCpuMs! <= 1.15 * cpu4.ms, `CPython cpu: 4 consumers ran ${cpu4.consumerCpuMs} ms of CPU in ${cpu4.ms} ms`)
  assert.ok(cpu1.consumerCpuMs! <= 1.15 * cpu1.ms, `CPython cpu: 1 consumer ran ${cpu1.consumerCpuMs} ms of CPU in ${cpu1.ms} ms`)
  const io1 = await original({ consumers: 1, work: 'io' })
  const io4 = await original({ consumers: 4, work: 'io' })
  assert.ok(io4.ms <= 0.5 * io1.ms, `CPython io: 4 consumers ${io4.ms} ms, 1 consumer ${io1.ms} ms`)

  // The seed's bug on CPython too: with get(timeout=…) each producer's late message is lost.
  const seed = await runProducerConsumerOriginal({ requested: true, spec: { ...spec, producers: 2, consumers: 2, capacity: 16, messages: 2_000, workUs: 0, stop: 'seed-event', getTimeoutMs: 20 }, executable, maxMs: 30_000, signal: new AbortController().signal })
  assert.equal(seed.result?.lost, 2)
  assert.equal(seed.result?.verified, false)

  // shutdown needs 3.13: on an older CPython the style is answered as absent, with the reason.
  const shutdown = await runProducerConsumerOriginal({ requested: true, spec: { ...spec, messages: 100, workUs: 0, stop: 'shutdown' }, executable, maxMs: 30_000, signal: new AbortController().signal })
  assert.equal(shutdown.ran, true, shutdown.reason)
  const minor = Number(shutdown.python?.version.split('.')[1])
  if (minor >= 13) assert.equal(shutdown.result?.verified, true)
  else assert.match(shutdown.result?.absent ?? '', /Queue\.shutdown\(\) is new in Python 3\.13; this is 3\.\d+/)
})
