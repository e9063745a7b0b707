import assert from 'node:assert/strict'
import { connect, type Socket } from 'node:net'
import { test } from 'node:test'
import { listenTestApp } from './support/app.js'

/**
 * Issue 11, items 5 and 8, over a real listening server (inject never meets Node's HTTP parser or its timers): every
 * answer Node makes itself has the error shape, and the request, connection and keep-alive timeouts, the connection
 * cap, the event-stream caps and the /sim caps hold.
 */

const ERROR_KEYS = ['code', 'error', 'message', 'statusCode']

interface Exchange {
  /** everything the server sent before it closed the connection */
  text: string
  /** from connecting until the server closed */
  ms: number
}

/** A raw TCP exchange: `drive` writes what it likes; resolves when the server closes (fails after `timeoutMs`). */
function exchange (url: string, drive: (socket: Socket) => void, timeoutMs = 10_000): Promise<Exchange> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const socket = connect(Number(port), hostname)
    let text = ''
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`the server did not close the connection within ${timeoutMs} ms; it sent: ${text.slice(0, 200)}`))
    }, timeoutMs)
    socket.on('connect', () => drive(socket))
    socket.on('data', (chunk: Buffer) => { text += chunk.toString('latin1') })
    socket.on('error', () => {}) // a reset after the answer is the server closing too
    socket.on('close', () => {
      clearTimeout(timer)
      resolve({ text, ms: performance.now() - started })
    })
  })
}

/** The status and JSON body of a raw answer, checked to have the error shape. */
function errorAnswer (text: string): { status: number, headers: string, body: { statusCode: number, code: string, error: string, message: string } } {
  const split = text.indexOf('\r\n\r\n')
  assert.ok(split > 0, `an HTTP answer: ${JSON.stringify(text.slice(0, 200))}`)
  const head = text.slice(0, split)
  const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(head)?.[1])
  assert.match(head, /\r\ncontent-type: application\/json/i)
  const body = JSON.parse(text.slice(split + 4))
  assert.deepEqual(Object.keys(body).sort(), ERROR_KEYS)
  assert.equal(body.statusCode, status)
  return { status, headers: head, body }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

test('a 10 000-character query string gets the error shape (431 HEADERS_TOO_LARGE naming MAX_HEADER_BYTES), not Node\'s bare 431', { timeout: 30_000 }, async (t) => {
  const { url } = await listenTestApp(t)

  // The reproduction: 10 000 characters of a hostile value; percent-encoded, 'é' takes 6 bytes, so the head is ≈ 60 kB.
  const response = await fetch(`${url}/work/hash?seed=${encodeURIComponent('é'.repeat(10_000))}`)
  assert.equal(response.status, 431)
  assert.match(response.headers.get('content-type') ?? '', /^application\/json/)
  const body = await response.json() as Record<string, unknown>
  assert.deepEqual(Object.keys(body).sort(), ERROR_KEYS)
  assert.equal(body.code, 'HEADERS_TOO_LARGE')
  assert.equal(body.error, 'Request Header Fields Too Large')
  assert.match(String(body.message), /16384 bytes \(MAX_HEADER_BYTES\)/)

  // 10 000 plain characters fit Node's 16 KiB: they reach the route, whose answer has the shape too.
  const plain = await fetch(`${url}/sim/delay?pad=${'x'.repeat(10_000)}`)
  assert.equal(plain.status, 400)
  const plainBody = await plain.json() as Record<string, unknown>
  assert.equal(plainBody.code, 'FST_ERR_VALIDATION')
  assert.match(String(plainBody.message), /'pad'/)

  assert.equal((await fetch(`${url}/healthz`)).status, 200, 'the service answers on')
})

test('MAX_HEADER_BYTES sets the limit, and the message names it', { timeout: 30_000 }, async (t) => {
  const { url } = await listenTestApp(t, { MAX_HEADER_BYTES: 8192 })
  const { text } = await exchange(url, (socket) => socket.write(`GET /sim/delay?pad=${'x'.repeat(10_000)} HTTP/1.1\r\nHost: x\r\n\r\n`))
  const { status, headers, body } = errorAnswer(text)
  assert.equal(status, 431)
  assert.match(headers, /\r\nconnection: close/i)
  assert.equal(body.code, 'HEADERS_TOO_LARGE')
  assert.match(body.message, /8192 bytes \(MAX_HEADER_BYTES\)/)
})

test('bytes that are not HTTP/1.1 get 400 BAD_HTTP_REQUEST naming the line at fault', { timeout: 30_000 }, async (t) => {
  const { url } = await listenTestApp(t)
  const cases = [
    { send: 'GET / HTTP/1.1\r\nHost: x\r\nbad header\r\n\r\n', message: [/Invalid header token/, /the header line 'bad header'/, /HPE_INVALID_HEADER_TOKEN/] },
    { send: 'FOO BAR\r\n\r\n', message: [/the request line 'FOO BAR'/, /HPE_INVALID_METHOD/] },
    { send: 'POST /jobs HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n', message: [/Content-Length/, /HPE_UNEXPECTED_CONTENT_LENGTH/] },
    { send: 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', message: [/HTTP\/2/, /only HTTP\/1\.1/] },
    { send: 'GET /\u0001 HTTP/1.1\r\nHost: x\r\n\r\n', message: [/Invalid char in url/, /the request line 'GET \/\? HTTP\/1\.1'/] }
  ]
  for (const { send, message } of cases) {
    const { text } = await exchange(url, (socket) => socket.write(send))
    const { status, body } = errorAnswer(text)
    assert.equal(status, 400, send)
    assert.equal(body.code, 'BAD_HTTP_REQUEST')
    assert.equal(body.error, 'Bad Request')
    for (const pattern of message) assert.match(body.message, pattern)
  }
  assert.equal((await fetch(`${url}/healthz`)).status, 200)
})

test('a slow-drip body is cut with 408 REQUEST_TIMEOUT within REQUEST_TIMEOUT_MS, and so is a slow head', { timeout: 30_000 }, async (t) => {
  const { url } = await listenTestApp(t, { REQUEST_TIMEOUT_MS: 400 })
  let dripping: NodeJS.Timeout | undefined
  t.after(() => clearInterval(dripping))

  // The head at once, then the 100-byte body one byte every 50 ms (5 s in all, were it let through).
  const body = await exchange(url, (socket) => {
    socket.write('POST /jobs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n')
    dripping = setInterval(() => { if (socket.writable) socket.write(' ') }, 50)
  })
  clearInterval(dripping)
  const answer = errorAnswer(body.text)
  assert.equal(answer.status, 408)
  assert.equal(answer.body.code, 'REQUEST_TIMEOUT')
  assert.match(answer.body.message, /400 ms \(REQUEST_TIMEOUT_MS\)/)
  assert.ok(body.ms >= 350 && body.ms < 2000, `cut after ${Math.round(body.ms)} ms`)

  // A head that never ends: one header line every 50 ms.
  let line = 0
  const head = await exchange(url, (socket) => {
    socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n')
    dripping = setInterval(() => { if (socket.writable) socket.write(`x-drip-${line++}: 1\r\n`) }, 50)
  })
  clearInterval(dripping)
  assert.equal(errorAnswer(head.text).status, 408)
  assert.ok(head.ms >= 350 && head.ms < 2000, `cut after ${Math.round(head.ms)} ms`)
  assert.equal((await fetch(`${url}/healthz`)).status, 200)
})

test('REQUEST_TIMEOUT_MS times receiving the request, not the answer: a slow answer and ?wait=true are not cut', { timeout: 30_000 }, async (t) => {
  const { url } = await listenTestApp(t, { REQUEST_TIMEOUT_MS: 200 })
  const started = performance.now()
  const slow = await fetch(`${url}/sim/delay?ms=1000&bytes=10`)
  assert.equal(slow.status, 200)
  assert.equal((await slow.arrayBuffer()).byteLength, 10)
  assert.ok(performance.now() - started >= 1000)

  // A job of about 1 s (10 queries of 100 ms, one at a time), submitted with ?wait=true.
  const waited = await fetch(`${url}/jobs?wait=true`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ workload: 'db', mode: 'async', tasks: 10, concurrency: 1, params: { latencyMs: 100 } })
  })
  assert.equal(waited.status, 200)
  assert.equal((await waited.json() as { status: string }).status, 'succeeded')
})

/** A job that runs until cancelled (1000 queries of 20 ms, one at a time ≈ 20 s); its id. */
async function startLongJob (url: string): Promise<string> {
  const response = await fetch(`${url}/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ workload: 'db', mode: 'async', tasks: 1000, concurrency: 1, params: { latencyMs: 20 } })
  })
  assert.equal(response.status, 202, await response.clone().text())
  return (await response.json() as { id: string }).id
}

/** GET /jobs/:id/events; resolves with the answer once its first chunk has arrived (a 429 resolves at once). */
async function openStream (t: { after: (fn: () => void) => void }, url: string, id: string): Promise<{ response: Response, close: () => void, text: () => string }> {
  const abort = new AbortController()
  t.after(() => abort.abort())
  const response = await fetch(`${url}/jobs/${id}/events`, { signal: abort.signal })
  let text = ''
  if (response.status === 200) {
    const reader = response.body!.getReader()
    const first = await reader.read()
    text += new TextDecoder().decode(first.value)
    const readOn = async () => {
      for (;;) {
        const { done, value } = await reader.read()
        if (done) return
        text += new TextDecoder().decode(value)
      }
    }
    readOn().catch(() => {}) // aborted
  }
  return { response, close: () => abort.abort(), text: () => text }
}

async function tooManyStreams (response: Response, variable: string): Promise<void> {
  assert.equal(response.status, 429)
  assert.ok(Number(response.headers.get('retry-after')) >= 1, 'Retry-After')
  const body = await response.json() as Record<string, unknown>
  assert.deepEqual(Object.keys(body).sort(), ERROR_KEYS)
  assert.equal(body.code, 'TOO_MANY_STREAMS')
  assert.match(String(body.message), new RegExp(`\\(${variable}\\)`))
}

test('event streams are capped per job (MAX_SSE_STREAMS_PER_JOB) and in total (MAX_SSE_STREAMS): 429 with Retry-After beyond', { timeout: 30_000 }, async (t) => {
  // (app.close, through t.after, cancels the jobs left running)
  const { app, url } = await listenTestApp(t, { MAX_SSE_STREAMS_PER_JOB: 2, MAX_SSE_STREAMS: 3 })
  const finished = await app.inject({ method: 'POST', url: '/jobs?wait=true', payload: { workload: 'db', mode: 'async', tasks: 1, params: { latencyMs: 1 } } })
  assert.equal(finished.statusCode, 200)
  const running = await startLongJob(url)
  const queued = await startLongJob(url) // waits behind the first (MAX_RUNNING_JOBS = 1)

  const first = await openStream(t, url, running)
  const second = await openStream(t, url, running)
  assert.equal(first.response.status, 200)
  assert.equal(second.response.status, 200)
  await tooManyStreams((await openStream(t, url, running)).response, 'MAX_SSE_STREAMS_PER_JOB')

  const third = await openStream(t, url, queued)
  assert.equal(third.response.status, 200)
  await tooManyStreams((await openStream(t, url, queued)).response, 'MAX_SSE_STREAMS')

  // A finished job's stream ends at once: it is never refused.
  const ended = await fetch(`${url}/jobs/${finished.json().id}/events`)
  assert.equal(ended.status, 200)
  assert.match(await ended.text(), /^event: end\n/)

  // A stream that closes frees its place.
  first.close()
  let reopened: Response | undefined
  const deadline = Date.now() + 5000
  while (Date.now() < deadline) {
    reopened = (await openStream(t, url, queued)).response
    if (reopened.status === 200) break
    await reopened.body?.cancel()
    await sleep(20)
  }
  assert.equal(reopened?.status, 200, 'a place frees up when a stream closes')
})

test('the connection cap (MAX_CONNECTIONS) closes one connection more at once, and frees a place when one closes', { timeout: 30_000 }, async (t) => {
  const { url } = await listenTestApp(t, { MAX_CONNECTIONS: 3 })
  const { hostname, port } = new URL(url)
  const sockets: Socket[] = []
  t.after(() => { for (const socket of sockets) socket.destroy() })

  /** A keep-alive connection that has had one answer (so the server has surely counted it). */
  const served = () => new Promise<Socket>((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'))
    sockets.push(socket)
    socket.once('data', (chunk: Buffer) => chunk.toString().startsWith('HTTP/1.1 200') ? resolve(socket) : reject(new Error(chunk.toString())))
    socket.once('close', () => reject(new Error('closed before an answer')))
    socket.on('error', () => {})
  })
  const open = await Promise.all([served(), served(), served()])

  const refused = await exchange(url, (socket) => socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'), 5000)
  assert.equal(refused.text, '', 'no answer: the connection is closed as it is accepted')
  assert.ok(refused.ms < 2000, `closed after ${Math.round(refused.ms)} ms`)

  open[0]!.destroy()
  const deadline = Date.now() + 5000
  let again: Socket | undefined
  while (!again && Date.now() < deadline) again = await served().catch(async () => { await sleep(20); return undefined })
  assert.ok(again, 'a fourth connection is served once one of the three has closed')
})

test('CONNECTION_TIMEOUT_MS closes a silent connection and one whose client stopped reading, not a slow answer or a stream', { timeout: 30_000 }, async (t) => {
  const { app, url } = await listenTestApp(t, { CONNECTION_TIMEOUT_MS: 300, SIM_MAX_BYTES: 64 * 1024 * 1024 })

  const silent = await exchange(url, () => {}, 5000)
  assert.equal(silent.text, '')
  assert.ok(silent.ms >= 250 && silent.ms < 2000, `a silent connection closed after ${Math.round(silent.ms)} ms`)

  // A client that asks for 64 MiB and never reads: once the socket buffers are full nothing moves, and it is cut.
  const { hostname, port } = new URL(url)
  const stalled = connect(Number(port), hostname, () => stalled.write('GET /sim/delay?bytes=67108864 HTTP/1.1\r\nHost: x\r\n\r\n'))
  t.after(() => stalled.destroy())
  stalled.on('error', () => {})
  stalled.pause()
  await sleep(1500)
  let received = 0
  stalled.on('data', (chunk: Buffer) => { received += chunk.length })
  const ended = new Promise((resolve) => stalled.once('close', resolve))
  stalled.resume()
  await ended
  assert.ok(received < 64 * 1024 * 1024, `the answer was cut (${received} bytes arrived)`)

  // The service taking longer than the timeout to answer is not the client's stall.
  const slow = await fetch(`${url}/sim/delay?ms=1000&bytes=10`)
  assert.equal(slow.status, 200)
  assert.equal((await slow.arrayBuffer()).byteLength, 10)
  const waited = await fetch(`${url}/jobs?wait=true`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ workload: 'db', mode: 'async', tasks: 10, concurrency: 1, params: { latencyMs: 100 } })
  })
  assert.equal(waited.status, 200)
  assert.equal((await waited.json() as { status: string }).status, 'succeeded')

  // An event stream sends a keep-alive comment more often than the timeout, so a quiet one lives on: the stream of a
  // job waiting in the queue (behind a running one) gets no progress events. (app.close cancels both jobs.)
  await startLongJob(url)
  const quiet = await startLongJob(url)
  const stream = await openStream(t, url, quiet)
  assert.equal(stream.response.status, 200)
  await sleep(1000)
  assert.match(stream.text(), /: keep-alive\n\n/)
  assert.doesNotMatch(stream.text(), /event: end/)
  const cancelled = await app.inject({ method: 'DELETE', url: `/jobs/${quiet}` })
  assert.equal(cancelled.statusCode, 200)
  await sleep(100)
  assert.match(stream.text(), /event: end\n/, 'the stream stayed open until its job ended')
})

test('KEEP_ALIVE_TIMEOUT_MS closes an idle keep-alive connection', { timeout: 30_000 }, async (t) => {
  const { url } = await listenTestApp(t, { KEEP_ALIVE_TIMEOUT_MS: 200 })
  let answeredAt = 0
  const idle = await exchange(url, (socket) => {
    socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n')
    socket.once('data', () => { answeredAt = performance.now() })
  }, 5000)
  assert.match(idle.text, /^HTTP\/1\.1 200 /)
  assert.match(idle.text, /\r\nkeep-alive: timeout=0\r\n/i)
  const idleMs = performance.now() - answeredAt
  // Node waits the advertised time plus 1 s before closing (to avoid racing a client's reuse).
  assert.ok(idleMs >= 150 && idleMs < 3000, `closed ${Math.round(idleMs)} ms after the answer`)
})

test('/sim/delay caps like go-httpbin\'s: 10 s (SIM_MAX_DELAY_MS) and 1 MiB (SIM_MAX_BYTES), 400 naming the field and the variable', { timeout: 30_000 }, async (t) => {
  const { app } = await listenTestApp(t)
  const cases = [
    { url: '/sim/delay?ms=10001', code: 'FST_ERR_VALIDATION', message: [/querystring\/ms must be <= 10000/, /SIM_MAX_DELAY_MS/] },
    { url: '/sim/delay?jitterMs=10001', code: 'FST_ERR_VALIDATION', message: [/querystring\/jitterMs must be <= 10000/, /SIM_MAX_DELAY_MS/] },
    { url: '/sim/delay?ms=6000&jitterMs=5000', code: 'INVALID_FIELD', message: [/querystring\/ms \+ querystring\/jitterMs must be <= 10000/, /SIM_MAX_DELAY_MS/] },
    { url: '/sim/delay?bytes=1048577', code: 'FST_ERR_VALIDATION', message: [/querystring\/bytes must be <= 1048576/, /SIM_MAX_BYTES/] },
    // the net workload calls /sim/delay, so its params have the same caps
    { url: '/work/net?latencyMs=10001', code: 'FST_ERR_VALIDATION', message: [/querystring\/latencyMs must be <= 10000/, /SIM_MAX_DELAY_MS/] },
    { url: '/work/net?bytes=1048577', code: 'FST_ERR_VALIDATION', message: [/querystring\/bytes must be <= 1048576/, /SIM_MAX_BYTES/] }
  ]
  for (const { url, code, message } of cases) {
    const response = await app.inject({ method: 'GET', url })
    assert.equal(response.statusCode, 400, url)
    const body = response.json()
    assert.equal(body.code, code, url)
    for (const pattern of message) assert.match(body.message, pattern, url)
  }
  const atLimit = await app.inject({ method: 'GET', url: '/sim/delay?bytes=1048576' })
  assert.equal(atLimit.statusCode, 200)
  assert.equal(atLimit.rawPayload.length, 1048576)
})
