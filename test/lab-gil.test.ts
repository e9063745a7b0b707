import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { CpythonGilReport, GilLabReport } from '../src/labs/gil-schema.js'
import type { CpythonAnswer } from '../src/cpython/cpython-schema.js'
import { runOriginal } from '../src/cpython/run-original.js'
import { buildTestApp } from './support/app.js'
import { pythonForTests } from './support/python.js'

type Answer = GilLabReport & { cpython: CpythonAnswer<CpythonGilReport> }
type Parts = Pick<GilLabReport, 'hold' | 'convoy' | 'release' | 'switchIntervalMs'>

const S = 5
const share = (parts: Parts, phase: string) => parts.release.phases.find((row) => row.phase === phase)!.counterShare

/**
 * What both runs must agree on, in direction (bands wide enough for a busy 2-core VM, where a waiter the OS does not
 * schedule in time makes holds longer in CPython and in the emulation alike).
 */
function assertLessons (what: string, parts: Parts): void {
  for (const row of parts.hold) {
    assert.ok(row.medianHoldMs !== null && row.medianHoldMs >= 0.5 * S && row.medianHoldMs <= 3 * S,
      `${what}: median hold at ${row.threads} threads ${row.medianHoldMs} ms, not about ${S} ms (${JSON.stringify(parts.hold)})`)
  }
  assert.ok(parts.convoy.addedMs >= 0.4 * S, `${what}: a CPU thread added ${parts.convoy.addedMs} ms to an I/O round trip (${JSON.stringify(parts.convoy)})`)
  assert.ok(share(parts, 'released') > 2 * share(parts, 'held'),
    `${what}: the counter ran ${share(parts, 'released')} of its pace beside released C code, ${share(parts, 'held')} beside C code holding the lock`)
}

test('POST /labs/gil: hold ≈ the interval, the convoy, no CPU speedup under the GIL, C code releasing it (Node, and CPython with cpython: true)', async (t) => {
  const { skip } = await pythonForTests()
  const app = await buildTestApp(t)
  const response = await app.inject({ method: 'POST', url: '/labs/gil', payload: { cpython: !skip } })
  assert.equal(response.statusCode, 200, response.body)
  const answer = response.json<Answer>()
  t.diagnostic(`node: hold ${answer.hold.map((row) => `${row.meanHoldMs} (median ${row.medianHoldMs})`).join(' / ')} ms, convoy ${answer.convoy.alone.p50} → ${answer.convoy.besideCpu.p50} ms, speedup ${answer.speedup.speedup} (without the GIL ${answer.speedup.withoutGil.speedup}), counter shares ${answer.release.phases.map((row) => `${row.phase} ${row.counterShare}`).join(', ')}`)
  assert.deepEqual(answer.hold.map((row) => row.threads), [2, 4, 6])
  assertLessons('node', answer)
  assert.ok(answer.speedup.speedup < 1.25, `under the GIL 2 threads ran ${answer.speedup.speedup}× one`)
  assert.equal(answer.convoy.rounds, 30)
  assert.ok(answer.convoy.alone.p50 >= 2 && answer.convoy.alone.p50 < 2 + 0.2 * S, `alone, a round is its I/O: ${answer.convoy.alone.p50} ms`)

  if (skip) {
    t.diagnostic(`no CPython: ${skip}`)
    assert.equal(answer.cpython.ran, false)
    return
  }
  assert.equal(answer.cpython.ran, true, answer.cpython.reason)
  const python = answer.cpython.result!
  t.diagnostic(`cpython ${answer.cpython.python!.version}: hold ${python.hold.map((row) => `${row.meanHoldMs} (median ${row.medianHoldMs})`).join(' / ')} ms, convoy ${python.convoy.alone.p50} → ${python.convoy.besideCpu.p50} ms, speedup ${python.speedup.speedup}, counter shares ${python.release.phases.map((row) => `${row.phase} ${row.counterShare}`).join(', ')}`)
  assert.deepEqual(python.hold.map((row) => row.threads), [2, 4, 6])
  assertLessons('cpython', python)
  if (answer.cpython.python!.gilEnabled) {
    assert.ok(python.speedup.speedup < 1.25, `CPython with the GIL: 2 threads ran ${python.speedup.speedup}× one`)
    // hashlib drops the GIL: the counter thread runs more beside sha256 than beside a pure-Python loop.
    assert.ok(share(python, 'released') > share(python, 'pure'), `cpython: counter shares ${JSON.stringify(python.release.phases.map((row) => [row.phase, row.counterShare]))}`)
  }
})

test('POST /labs/gil: bad values are a 400 naming the field; the run is bounded by LAB_MAX_MS', async (t) => {
  const app = await buildTestApp(t, { LAB_MAX_MS: 300 })
  for (const [payload, field] of [
    [{ hold: { threads: [1] } }, 'body/hold/threads/0'],
    [{ convoy: { ioMs: 101 } }, 'body/convoy/ioMs'],
    [{ speedup: { threads: 17 } }, 'body/speedup/threads'],
    [{ release: { ms: 301 } }, 'body/release/ms'],
    [{ switchIntervalMs: 0.1 }, 'body/switchIntervalMs']
  ] as const) {
    const response = await app.inject({ method: 'POST', url: '/labs/gil', payload })
    assert.equal(response.statusCode, 400, response.body)
    assert.match(response.json().message, new RegExp(field.replaceAll('/', '\\/')), response.body)
  }
  // The defaults fit LAB_MAX_MS one by one, not all together: the run is stopped and says so; its threads were
  // terminated and the guard let go, so a second run is stopped the same way, not refused as LAB_BUSY.
  for (let run = 0; run < 2; run++) {
    const stopped = await app.inject({ method: 'POST', url: '/labs/gil', payload: {} })
    assert.equal(stopped.statusCode, 504, stopped.body)
    assert.equal(stopped.json().code, 'LAB_TIMED_OUT')
  }
})

test('python/gil.py bounds every wait by maxMs: a part longer than it ends the script with a TimeoutError, not a wait', async (t) => {
  const { executable, skip } = await pythonForTests()
  if (skip) {
    t.skip(`no CPython: ${skip}`)
    return
  }
  // Threads that spin 5 s each, a run allowed 300 ms: the join gives up at the deadline (the service's kill, after
  // 20 s here, is not what ends it).
  const params = { switchIntervalMs: 5, hold: { threads: [2], ms: 5000 }, convoy: { ioMs: 2, rounds: 5 }, speedup: { threads: 2, ms: 20 }, release: { bytes: 4096, ms: 20 }, maxMs: 300 }
  const answer = await runOriginal({ requested: true, script: 'gil.py', params, executable, timeoutMs: 20_000, signal: new AbortController().signal, what: 'GIL lab' })
  assert.equal(answer.ran, false)
  assert.match(answer.reason ?? '', /failed \(exit 1\): TimeoutError: a thread did not finish within maxMs \(300 ms, LAB_MAX_MS\)/)
  assert.ok(answer.ms! < 3000, `the script took ${answer.ms} ms to give up`)
})
