import assert from 'node:assert/strict'
import { availableParallelism } from 'node:os'
import { test } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { liveWorkers } from '../src/threads/live-workers.js'
import { buildTestApp } from './support/app.js'

interface Tally { expected: number, actual: number, lostUpdates: number, ms: number, startupMs: number, meaning: string, gilSwitches?: number }
interface RaceReport {
  gil: boolean
  switchIntervalMs?: number
  results: Array<Tally & { strategy: string, opsPerSec: number, python: string }>
  record?: { results: Array<Tally & { locked: boolean }> }
}

async function race (app: FastifyInstance, body: Record<string, unknown>): Promise<RaceReport> {
  const response = await app.inject({ method: 'POST', url: '/labs/race', payload: body })
  assert.equal(response.statusCode, 200, response.body)
  assert.equal(liveWorkers.count('labs'), 0, 'every lab thread has exited when the lab answers')
  return response.json()
}

const byStrategy = (report: RaceReport, strategy: string) => {
  const result = report.results.find((row) => row.strategy === strategy)
  assert.ok(result, `${strategy} in ${JSON.stringify(report.results)}`)
  return result
}

// Each thread's 1 M increments take tens of ms here, many switch intervals of 1 ms: the call variant is switched
// out between its read and its write dozens of times per run (10 of 10 runs lost 1.3–3.0 M of 4 M at 5 ms). A
// few attempts keep a machine fast enough to finish a thread inside one interval from failing the test.
const GIL_RUN = { workers: 4, increments: 1_000_000, gil: true, switchIntervalMs: 1 }

test('Race with the GIL option and plain x += 1: 0 lost; with the call variant: lost > 0', async (t) => {
  const app = await buildTestApp(t)
  const callLosses: number[] = []
  for (let attempt = 0; attempt < 3 && !callLosses.some((lost) => lost > 0); attempt++) {
    const report = await race(app, { ...GIL_RUN, strategies: ['unsafe', 'unsafe-call'] })
    assert.equal(report.gil, true)
    assert.equal(report.switchIntervalMs, 1)
    const plain = byStrategy(report, 'unsafe')
    // Under the GIL the only switch point of x += 1 is the loop's back-edge, after the write: never a lost update.
    assert.equal(plain.expected, 4_000_000)
    assert.equal(plain.actual, 4_000_000, `x += 1 under the GIL: ${JSON.stringify(plain)}`)
    assert.equal(plain.lostUpdates, 0)
    assert.equal(plain.python, 'x += 1')
    assert.match(plain.meaning, /3\.10\+.*loses nothing/)
    const call = byStrategy(report, 'unsafe-call')
    assert.equal(call.python, 'x = x + one()')
    assert.equal(call.lostUpdates, call.expected - call.actual)
    assert.ok(call.actual <= call.expected, 'a race loses updates, it never invents them')
    assert.match(call.meaning, /even with the GIL/)
    assert.ok(plain.gilSwitches !== undefined && call.gilSwitches !== undefined, 'gilSwitches with the GIL')
    // Under the GIL an update is lost only where the GIL changed hands between a read and its write.
    if (call.lostUpdates > 0) assert.ok(call.gilSwitches > 0, JSON.stringify(call))
    t.diagnostic(`attempt ${attempt}: x += 1 lost 0 over ${plain.gilSwitches} switches; x = x + one() lost ${call.lostUpdates} over ${call.gilSwitches}`)
    callLosses.push(call.lostUpdates)
  }
  assert.ok(callLosses.some((lost) => lost > 0), `x = x + one() under the GIL, lost per attempt: ${callLosses.join(', ')}`)
})

test('under the GIL atomic and mutex lose nothing, and the record still loses without its lock (the sleep releases the GIL)', async (t) => {
  const app = await buildTestApp(t)
  const report = await race(app, { ...GIL_RUN, increments: 100_000, strategies: ['atomic', 'mutex'], record: { workers: 4, updates: 5, delayMs: 5 } })
  for (const strategy of ['atomic', 'mutex']) assert.equal(byStrategy(report, strategy).lostUpdates, 0, strategy)
  assert.ok(report.record)
  const [unlocked, locked] = report.record.results
  assert.ok(unlocked && locked)
  assert.ok(unlocked.lostUpdates > 0, `without the lock, under the GIL: ${JSON.stringify(unlocked)}`)
  assert.match(unlocked.meaning, /releases it/)
  // A lock taken while another thread sleeps holding it: the waiter lets the GIL go, or this would never end.
  assert.equal(locked.actual, 20)
  assert.equal(locked.lostUpdates, 0)
})

test('gilSwitches counts only changes of holder (CPython\'s switch_number): one worker never switches, not even across its sleeps', async (t) => {
  const app = await buildTestApp(t)
  const alone = await race(app, { workers: 1, increments: 100_000, gil: true, switchIntervalMs: 1, strategies: ['unsafe', 'unsafe-call'], record: { workers: 1, updates: 20, delayMs: 1 } })
  // Each record update sleeps with the GIL released and takes it back: 20 acquisitions, no other thread, no switch.
  for (const row of [...alone.results, ...alone.record!.results]) assert.equal(row.gilSwitches, 0, JSON.stringify(row))
  const four = await race(app, { workers: 4, increments: 1, gil: true, strategies: ['unsafe'], record: { workers: 4, updates: 5, delayMs: 2 } })
  const [unlocked] = four.record!.results
  // Four threads sleeping in turn: every sleep hands the GIL to another thread that waits for it.
  assert.ok(unlocked!.gilSwitches! >= 3, `4 threads sleeping in turn: ${JSON.stringify(unlocked)}`)
  t.diagnostic(`record, 4 threads × 5 sleeps: ${unlocked!.gilSwitches} switches; one thread: 0`)
})

test('without the GIL (the free-threaded 3.13t / C case) the call variant loses updates too', async (t) => {
  if (availableParallelism() < 2) {
    t.skip(`needs >= 2 cores for threads to overlap; this machine has ${availableParallelism()}`)
    return
  }
  const app = await buildTestApp(t)
  const losses: number[] = []
  for (let attempt = 0; attempt < 5 && !losses.some((lost) => lost > 0); attempt++) {
    const report = await race(app, { workers: 4, increments: 2_000_000, strategies: ['unsafe-call'] })
    assert.equal(report.gil, false)
    assert.equal(report.switchIntervalMs, undefined, 'no switch interval without a GIL')
    const call = byStrategy(report, 'unsafe-call')
    assert.equal(call.gilSwitches, undefined)
    assert.match(call.meaning, /free-threaded 3\.13t/)
    losses.push(call.lostUpdates)
  }
  assert.ok(losses.some((lost) => lost > 0), `lost per attempt: ${losses.join(', ')}`)
})

test('bad gil, switchIntervalMs and cpython fields: 400 naming the field and the range', async (t) => {
  const app = await buildTestApp(t)
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ gil: 'yes' }, /^body\/gil must be boolean$/],
    [{ gil: true, switchIntervalMs: 0.05 }, /^body\/switchIntervalMs must be >= 0\.1$/],
    [{ gil: true, switchIntervalMs: 1001 }, /^body\/switchIntervalMs must be <= 1000$/],
    [{ switchIntervalMs: 'fast' }, /^body\/switchIntervalMs must be number$/],
    [{ cpython: 'please' }, /^body\/cpython must be boolean$/],
    [{ strategies: ['unsafe', 'unsafe-cal'] }, /^body\/strategies\/1 must be one of: unsafe, unsafe-call, atomic, mutex$/]
  ]
  for (const [payload, message] of cases) {
    const response = await app.inject({ method: 'POST', url: '/labs/race', payload })
    assert.equal(response.statusCode, 400, `${JSON.stringify(payload)}: ${response.body}`)
    assert.equal(response.json().code, 'FST_ERR_VALIDATION', JSON.stringify(payload))
    assert.match(response.json().message, message, JSON.stringify(payload))
  }
  assert.equal(liveWorkers.count('labs'), 0, 'rejected runs start no thread')
})
