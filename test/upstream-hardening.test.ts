import assert from 'node:assert/strict'
import { once } from 'node:events'
import { connect, createServer, type Server } from 'node:net'
import { test, type TestContext } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { RESTART_FIRST_DELAY_MS, startUpstreamThread, type Upstream } from '../src/upstream/upstream-thread.js'
import { buildTestApp, runJob, waitFor } from './support/app.js'

/** Sends `bytes` as they are over a new connection and resolves with everything received until the server closes it. */
async function rawRequest (port: number, bytes: string): Promise<string> {
  const socket = connect(port, '127.0.0.1')
  let received = ''
  socket.setEncoding('utf8')
  socket.on('data', (chunk: string) => { received += chunk })
  await once(socket, 'connect')
  socket.end(bytes)
  await once(socket, 'close')
  return received
}

const portOf = (upstream: Upstream) => Number(new URL(upstream.url).port)

/** The service is alive, ready with its upstream up, and net jobs that call the upstream succeed. */
async function assertServing (app: FastifyInstance): Promise<void> {
  assert.equal((await app.inject({ url: '/healthz' })).statusCode, 200)
  const ready = await app.inject({ url: '/readyz' })
  assert.equal(ready.statusCode, 200, ready.body)
  assert.equal(ready.json().upstream, 'up')
  for (const mode of ['async', 'pool']) {
    const job = await runJob(app, { workload: 'net', mode, tasks: 10, concurrency: 5, params: { latencyMs: 1, bytes: 64 } })
    assert.equal(job.status, 'succeeded', `${mode}: ${JSON.stringify(job.error)}`)
    assert.deepEqual([job.progress.done, job.progress.failed], [10, 0], mode)
  }
}

/**
 * Keeps `port` taken from the moment the upstream thread exits, so that its restart cannot bind it until the test
 * lets go: the down state lasts as long as the test needs. (The restart spawns a thread, which takes tens of ms;
 * this listen in the main thread binds first.)
 */
function blockPortOnExit (t: TestContext, upstream: Upstream): { released: () => Promise<void> } {
  const port = portOf(upstream)
  let blocker: Server | undefined
  const listening = new Promise<void>((resolve, reject) => {
    upstream.thread!.once('exit', () => {
      blocker = createServer((socket) => socket.destroy())
      blocker.once('error', reject)
      blocker.listen(port, '127.0.0.1', resolve)
    })
  })
  const release = async () => {
    if (blocker?.listening) await new Promise((resolve) => blocker!.close(resolve))
  }
  t.after(release)
  return {
    released: async () => {
      await listening
      await release()
    }
  }
}

test('the raw request gets 400 and the service lives', async (t) => {
  const app = await buildTestApp(t, { POOL_SIZE: 1 })
  const { upstream } = app.lab
  const thread = upstream.thread
  assert.ok(thread, 'the built-in upstream runs in a thread')

  // What killed the whole process: a request target that the HTTP parser accepts but `new URL` does not.
  const answer = await rawRequest(portOf(upstream), 'GET http://[ HTTP/1.1\r\nHost: x\r\n\r\n')
  assert.match(answer, /^HTTP\/1\.1 400 /)

  // One the HTTP parser itself rejects (clientError): 400 and the connection closed.
  const malformed = await rawRequest(portOf(upstream), 'GET /sim/delay HTTP/1.1\r\nHost: x\r\nnot a header\r\n\r\n')
  assert.match(malformed, /^HTTP\/1\.1 400 Bad Request\r\n/)
  assert.match(malformed, /\r\nconnection: close\r\n/i)

  // Answered, not survived by a restart: the same thread serves on.
  assert.equal(upstream.thread, thread)
  await assertServing(app)
})

test('a dead upstream is restarted on the same port; /readyz is 503 while it is down, 200 after, and net jobs succeed', async (t) => {
  const app = await buildTestApp(t, { POOL_SIZE: 1 })
  const { upstream } = app.lab
  const url = upstream.url
  const thread = upstream.thread!
  const port = blockPortOnExit(t, upstream)

  await thread.terminate()
  assert.equal(upstream.state, 'down')
  const down = await app.inject({ url: '/readyz' })
  assert.equal(down.statusCode, 503)
  assert.equal(down.json().status, 'not ready')
  assert.equal(down.json().upstream, 'down')
  assert.equal((await app.inject({ url: '/healthz' })).statusCode, 200, 'alive while not ready')

  // The port is taken: the restart fails and is tried again with backoff; once the port is free it binds it.
  await new Promise((resolve) => setTimeout(resolve, RESTART_FIRST_DELAY_MS * 3))
  assert.equal(upstream.state, 'down')
  await port.released()
  await waitFor(async () => (await app.inject({ url: '/readyz' })).statusCode === 200, 5_000, '/readyz 200 again')
  assert.equal(upstream.url, url, 'the URL the jobs hold is still valid')
  assert.notEqual(upstream.thread, thread)
  await assertServing(app)
})

test('restarts back off while the port is taken and stop when the upstream is closed', async (t) => {
  const logged: Array<{ level: string, message: string, retryInMs?: number }> = []
  const record = (level: string) => (object: { retryInMs?: number }, message: string) => {
    logged.push({ level, message, ...(object.retryInMs === undefined ? {} : { retryInMs: object.retryInMs }) })
  }
  const log = { info: record('info'), warn: record('warn'), error: record('error') } as never
  const upstream = await startUpstreamThread({ SIM_MAX_DELAY_MS: 100, SIM_MAX_BYTES: 1024 }, log)
  t.after(() => upstream.close())
  blockPortOnExit(t, upstream)

  await upstream.thread!.terminate()
  // (A thread starts in ≈ 0.6 s under tsx, so two failed attempts are enough here.)
  await waitFor(() => logged.filter((entry) => entry.retryInMs !== undefined).length >= 2, 5_000, 'two failed restarts')
  const retries = logged.filter((entry) => entry.retryInMs !== undefined)
  assert.deepEqual(retries.slice(0, 2).map((entry) => entry.retryInMs), [RESTART_FIRST_DELAY_MS, RESTART_FIRST_DELAY_MS * 2])
  assert.ok(retries.every((entry) => entry.level === 'warn' && /could not restart/.test(entry.message)))

  // Closing while it waits to try again: no thread is left and no attempt follows.
  const started = Date.now()
  await upstream.close()
  assert.ok(Date.now() - started < 1_000, 'close does not wait out the backoff')
  assert.equal(upstream.thread, undefined)
  const attempts = logged.length
  await new Promise((resolve) => setTimeout(resolve, 500))
  assert.equal(logged.length, attempts, 'no restart after close')
})

test('an external UPSTREAM_URL is not checked: /readyz says external and stays 200', async (t) => {
  const app = await buildTestApp(t, { POOL_SIZE: 1, UPSTREAM_URL: 'http://127.0.0.1:9/' })
  assert.equal(app.lab.upstream.thread, undefined)
  const ready = await app.inject({ url: '/readyz' })
  assert.equal(ready.statusCode, 200, ready.body)
  assert.equal(ready.json().upstream, 'external')
})
