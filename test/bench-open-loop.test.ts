import assert from 'node:assert/strict'
import { once } from 'node:events'
import { test } from 'node:test'
import { Worker } from 'node:worker_threads'
import { openLoop } from '../bench/open-loop.js'

/**
 * A loopback HTTP server in a worker thread (so that its stall does not stop the client's timers). On a 'stall'
 * message it blocks its event loop for `ms` and reports when the stall began and ended, as
 * performance.timeOrigin + performance.now() (one clock for both threads).
 */
const SERVER = `
const { createServer } = require('node:http')
const { parentPort } = require('node:worker_threads')
const now = () => performance.timeOrigin + performance.now()
const server = createServer((request, response) => response.end('ok'))
server.keepAliveTimeout = 60_000
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }))
parentPort.on('message', (message) => {
  if (message === 'close') return server.close(() => process.exit(0))
  const began = now()
  while (now() - began < message.stallMs) {}
  parentPort.postMessage({ began, ended: now() })
})
`

async function startServer (t: { after: (fn: () => Promise<void> | void) => void }) {
  const worker = new Worker(SERVER, { eval: true })
  t.after(async () => {
    worker.postMessage('close')
    await once(worker, 'exit')
  })
  const [{ port }] = await once(worker, 'message') as [{ port: number }]
  return { url: `http://127.0.0.1:${port}/`, worker }
}

test('open loop on an idle server: every request sent on its schedule, latency ≈ service time', async (t) => {
  const { url } = await startServer(t)
  const result = await openLoop({ url, rate: 200, durationSec: 1, connections: 4 })
  assert.equal(result.scheduled, 200)
  assert.equal(result.completed, 200)
  assert.equal(result.errors, 0)
  assert.equal(result.non2xx, 0)
  assert.ok(result.late <= 20, `late ${result.late}`)
  assert.ok(result.sendLagUs.p50 < 2000, `send lag p50 ${result.sendLagUs.p50} µs`)
  assert.ok(result.timerLagUs.p50 <= result.sendLagUs.p50 + 1, 'the timer lag is part of the send lag')
  assert.equal(result.waitedForConnection, 0)
  assert.ok(result.latencyUs.p50 < 20_000, `latency p50 ${result.latencyUs.p50} µs`)
  assert.ok(result.latencyUs.p50 >= result.serviceUs.p50, 'latency includes the service time')
  assert.ok(Math.abs(result.achievedRate - 200) / 200 < 0.1, `achieved ${result.achievedRate} req/s`)
  assert.ok(result.durationMs < 2000, `took ${result.durationMs} ms`)
})

test('a request due during a server stall reports its latency from its due time, not from its send', async (t) => {
  const { url, worker } = await startServer(t)
  const stallMs = 400
  const interval = 10 // 100 req/s
  const stall = new Promise<{ began: number, ended: number }>((resolve) => {
    setTimeout(() => {
      worker.postMessage({ stallMs })
      worker.once('message', resolve)
    }, 300)
  })
  const result = await openLoop({ url, rate: 1000 / interval, durationSec: 1.5, connections: 2, keepSamples: true })
  const { began, ended } = await stall
  assert.equal(result.completed, result.scheduled)
  assert.equal(result.errors, 0)
  const stallBegan = began - result.startedAt
  const stallEnded = ended - result.startedAt
  const samples = result.samples!
  const dueInStall = samples.filter((sample) => sample.dueMs > stallBegan + interval && sample.dueMs < stallEnded - interval)
  assert.ok(dueInStall.length >= stallMs / interval - 4, `${dueInStall.length} requests due during the stall`)
  for (const sample of dueInStall) {
    // It cannot have finished before the stall ended, and its latency runs from its due time.
    assert.ok(sample.doneMs >= stallEnded - 1, `request due at ${sample.dueMs.toFixed(1)} ms done at ${sample.doneMs.toFixed(1)} ms, before the stall ended at ${stallEnded.toFixed(1)} ms`)
    assert.ok(sample.doneMs - sample.dueMs >= stallEnded - sample.dueMs - 1)
  }
  // One request in the middle of the stall: it waited about as long as the stall still had to run when it fell due.
  const middle = dueInStall[Math.floor(dueInStall.length / 2)]!
  const expected = stallEnded - middle.dueMs
  const latency = middle.doneMs - middle.dueMs
  assert.ok(latency >= expected - 1 && latency <= expected + 50, `latency ${latency.toFixed(1)} ms, stall left ${expected.toFixed(1)} ms`)

  // The distribution shows the stall: about half the requests due during it waited more than half of it. Timed from
  // the actual send (what a closed-loop client reports), only the requests already in flight look slow.
  const slow = samples.filter((sample) => sample.doneMs - sample.dueMs > stallMs / 2).length
  const slowFromSend = samples.filter((sample) => sample.doneMs - sample.sentMs > stallMs / 2).length
  assert.ok(slow >= stallMs / interval / 2 - 4, `${slow} requests waited > ${stallMs / 2} ms`)
  assert.ok(slowFromSend <= 2 + 1, `${slowFromSend} requests slow from their send`)
  assert.ok(result.latencyUs.max >= (stallMs - 2 * interval) * 1000, `max latency ${result.latencyUs.max} µs`)
  assert.ok(result.latencyUs.p99 > result.serviceUs.p99, 'p99 from the due time exceeds p99 from the send')
  // Requests due while both connections were held by the stall waited for one, and were sent late.
  assert.ok(result.waitedForConnection >= dueInStall.length - 2, `${result.waitedForConnection} waited for a connection`)
  assert.ok(result.late >= dueInStall.length - 2, `${result.late} late`)
})

test('the load is bounded: loopback only, and a server that never answers ends as errors after the timeout', async () => {
  await assert.rejects(openLoop({ url: 'http://example.com/', rate: 10, durationSec: 1, connections: 1 }), /127\.0\.0\.1/)
  const { createServer } = await import('node:net')
  const silent = createServer(() => {}) // accepts connections, never answers
  silent.listen(0, '127.0.0.1')
  await once(silent, 'listening')
  try {
    const { port } = silent.address() as { port: number }
    const started = performance.now()
    const result = await openLoop({ url: `http://127.0.0.1:${port}/`, rate: 20, durationSec: 0.5, connections: 2, timeoutMs: 300 })
    assert.equal(result.scheduled, 10)
    assert.equal(result.completed, 0)
    assert.equal(result.errors, 10)
    assert.ok(performance.now() - started < 0.5 * 1000 + 300 + 1000 + 500, 'within the schedule + timeout + grace')
  } finally {
    silent.close()
  }
})
