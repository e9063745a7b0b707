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
