import { connect } from 'node:net'
import type { FuzzRequest } from './fuzz-cases.js'
import type { Closable, FuzzAnswer } from './fuzz-http.js'

/*
 * Requests no HTTP client sends, written byte by byte on a socket: they reach Node's HTTP parser and server limits
 * (client-errors.ts), not Fastify. Each is made from an operation's valid request (its method, path and body).
 */

export interface RawVariant { label: string, bytes: (origin: URL) => Buffer, mayReset?: boolean }

function head (request: FuzzRequest, origin: URL, lines: string[], version = 'HTTP/1.1'): string {
  return [`${request.method} ${request.path} ${version}`, `host: ${origin.host}`, 'connection: close', ...lines].join('\r\n') + '\r\n\r\n'
}

export function rawVariants (request: FuzzRequest): RawVariant[] {
  const body = request.body ?? Buffer.from('{}')
  const type = 'content-type: application/json'
  const withBody = (label: string, lines: (length: number) => string[], payload: Buffer = body, mayReset = false): RawVariant => ({
    label,
    bytes: (origin) => Buffer.concat([Buffer.from(head(request, origin, lines(payload.length)), 'latin1'), payload]),
    mayReset
  })
  const bare = (label: string, text: (origin: URL) => string): RawVariant => ({ label, bytes: (origin) => Buffer.from(text(origin), 'latin1') })
  return [
    withBody('content-length: abc', () => [type, 'content-length: abc']),
    withBody('content-length: -1', () => [type, 'content-length: -1']),
    withBody('two different content-lengths', (length) => [type, `content-length: ${length}`, `content-length: ${length + 1}`]),
    withBody('content-length and transfer-encoding: chunked', (length) => [type, `content-length: ${length}`, 'transfer-encoding: chunked']),
    withBody('transfer-encoding: gzip, chunked', () => [type, 'transfer-encoding: gzip, chunked']),
    withBody('bad chunk size', () => [type, 'transfer-encoding: chunked'], Buffer.from('zz\r\n{}\r\n0\r\n\r\n')),
    withBody('chunk extension of 20 KiB', () => [type, 'transfer-encoding: chunked'], Buffer.from(`2;${'x'.repeat(20 * 1024)}\r\n{}\r\n0\r\n\r\n`), true),
    withBody('body shorter than content-length', (length) => [type, `content-length: ${length + 10}`]),
    withBody('header without a colon', (length) => [type, `content-length: ${length}`, 'x-broken-header']),
    withBody('space before the colon', (length) => ['content-type : application/json', `content-length: ${length}`]),
    withBody('NUL in a header value', (length) => [type, `content-length: ${length}`, 'x-nul: a\u0000b']),
    withBody('obsolete line folding', (length) => [type, `content-length: ${length}`, 'x-folded: a', ' b']),
    withBody('expect: 100-continue', (length) => [type, `content-length: ${length}`, 'expect: 100-continue']),
    withBody('expect: something else', (length) => [type, `content-length: ${length}`, 'expect: 42-wat']),
    bare('no host header', () => `${request.method} ${request.path} HTTP/1.1\r\nconnection: close\r\n\r\n`),
    bare('HTTP/1.0 without host', () => `${request.method} ${request.path} HTTP/1.0\r\n\r\n`),
    bare('HTTP/9.9', (origin) => head(request, origin, [], 'HTTP/9.9')),
    bare('unknown method', (origin) => head({ ...request, method: 'FROB' }, origin, [])),
    bare('lower-case method', (origin) => head({ ...request, method: request.method.toLowerCase() }, origin, [])),
    bare('absolute-form target', (origin) => head({ ...request, path: `${origin.origin}${request.path}` }, origin, [])),
    bare('bare LF line endings', (origin) => head(request, origin, []).replaceAll('\r\n', '\n')),
    bare('space in the target', (origin) => head({ ...request, path: `${request.path.split('?')[0]} x` }, origin, [])),
    bare('raw UTF-8 in the target', (origin) => Buffer.from(head({ ...request, path: `${request.path.split('?')[0]}?q=\u00e9\u{1f9f5}` }, origin, []), 'utf8').toString('latin1')),
    bare('HTTP/2 preface', () => 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n')
  ]
}

/** One raw request; the answer read until the server closes (every raw request asks for connection: close). */
export function sendRaw (origin: URL, bytes: Buffer, timeoutMs: number, track: (handle: Closable) => () => void): Promise<FuzzAnswer> {
  const started = performance.now()
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let settled = false
    const socket = connect(Number(origin.port), origin.hostname)
    const untrack = track(socket)
    const finish = (error?: string) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.destroy()
      untrack()
      resolve({ ...parseAnswer(Buffer.concat(chunks)), ...(error ? { error } : {}), ms: performance.now() - started })
    }
    const timer = setTimeout(() => finish('timeout'), timeoutMs)
    socket.on('connect', () => socket.write(bytes))
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.on('end', () => finish())
    socket.on('close', () => finish())
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // A reset after a whole answer arrived is the server closing after it; without one, it is an error.
      const answer = parseAnswer(Buffer.concat(chunks))
      finish(answer.status !== undefined && answer.complete ? undefined : `socket: ${error.code ?? error.message}`)
    })
  })
}

/** The last final answer in the bytes (1xx interim answers skipped): status, headers, body. */
function parseAnswer (bytes: Buffer): Omit<FuzzAnswer, 'ms'> & { complete: boolean } {
  let rest = bytes
  for (;;) {
    const end = rest.indexOf('\r\n\r\n')
    if (end < 0) return { headers: {}, body: Buffer.alloc(0), complete: false }
    const lines = rest.subarray(0, end).toString('latin1').split('\r\n')
    const status = Number(/^HTTP\/\d\.\d (\d{3})/.exec(lines[0] ?? '')?.[1])
    if (!Number.isInteger(status)) return { headers: {}, body: Buffer.alloc(0), complete: false }
    const headers: Record<string, string> = {}
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':')
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
    }
    const body = rest.subarray(end + 4)
    if (status >= 100 && status < 200) {
      rest = body
      continue
    }
    if (headers['transfer-encoding']?.includes('chunked')) return { status, headers, ...dechunk(body) }
    const length = Number(headers['content-length'])
    const complete = Number.isInteger(length) ? body.length >= length : true
    return { status, headers, body: Number.isInteger(length) ? body.subarray(0, length) : body, complete }
  }
}

function dechunk (bytes: Buffer): { body: Buffer, complete: boolean } {
  const parts: Buffer[] = []
  let at = 0
  for (;;) {
    const lineEnd = bytes.indexOf('\r\n', at)
    if (lineEnd < 0) return { body: Buffer.concat(parts), complete: false }
    const size = Number.parseInt(bytes.subarray(at, lineEnd).toString('latin1'), 16)
    if (!Number.isInteger(size)) return { body: Buffer.concat(parts), complete: false }
    if (size === 0) return { body: Buffer.concat(parts), complete: true }
    parts.push(bytes.subarray(lineEnd + 2, lineEnd + 2 + size))
    at = lineEnd + 2 + size + 2
  }
}
