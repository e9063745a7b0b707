import { STATUS_CODES, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyBaseLogger, FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Config } from '../config.js'
import { BadHttpRequest, BadUrl, ChunkExtensionsTooLarge, ExpectationFailed, HeadersTooLarge, MissingHost, PathParamTooLong, RequestTimeout } from '../errors.js'
import { errorBody } from './error-handler.js'

/*
 * What a client hands the service before any route sees its request.
 *
 * Request ids: a client's `x-request-id` names the request's resources (GET /work/file's temp dir), its log lines and
 * the header of its event stream, so only an id of 1 to 64 letters, digits, `_` and `-` is kept; any other (`a/b`, a
 * path, a newline, two headers joined by Fastify) is replaced by one of ours, as if none had been sent.
 */

const CLEAN_REQUEST_ID = /^[A-Za-z0-9_-]{1,64}$/

/** Fastify's genReqId: the client's id from `header` when it is clean, else `req-<n>` (Fastify's own form). */
export function requestIds (header: string): (request: IncomingMessage) => string {
  let next = 0
  return (request) => {
    const given = request.headers[header]
    if (typeof given === 'string' && CLEAN_REQUEST_ID.test(given)) return given
    next = (next + 1) & 0x7fffffff // a small integer, as Fastify's own generator keeps it
    return `req-${next.toString(36)}`
  }
}

/*
 * Answers Node's HTTP server makes before Fastify sees a request — a head over MAX_HEADER_BYTES, bytes that are not
 * HTTP/1.1, a request not received within REQUEST_TIMEOUT_MS — get the service's error shape, a stable code and a
 * message naming the limit or the line at fault (Node and Fastify answer them with a bare status or a generic body).
 * Fastify calls this as its clientErrorHandler for the server's 'clientError' event.
 */

interface ClientError extends Error {
  code?: string
  /** llhttp's reason ("Invalid header token") */
  reason?: string
  /** the chunk being parsed (a Buffer; Fastify's types say otherwise), and how far into it the parser got */
  rawPacket?: unknown
  bytesParsed?: number
}

type ClientErrorLimits = Pick<Config, 'MAX_HEADER_BYTES' | 'REQUEST_TIMEOUT_MS'>

/** The request line or header line the parser stopped in, printable and short (it is echoed to the client). */
function lineAtFault (error: ClientError): string {
  const packet = error.rawPacket
  const at = error.bytesParsed
  if (!Buffer.isBuffer(packet) || typeof at !== 'number' || at > packet.length) return ''
  const start = packet.lastIndexOf(0x0a, Math.max(0, at - 1)) + 1
  const newline = packet.indexOf(0x0a, at)
  const end = Math.min(newline < 0 ? packet.length : newline, start + 200)
  const line = packet.subarray(start, end).toString('latin1').replace(/\r$/, '').replace(/[^\x20-\x7e]/g, '?')
  const shown = line.length > 60 ? `${line.slice(0, 60)}…` : line
  return ` in the ${start === 0 ? 'request line' : 'header line'} '${shown}'`
}

function answerTo (error: ClientError, limits: ClientErrorLimits): FastifyError {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW': return new HeadersTooLarge(limits.MAX_HEADER_BYTES)
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW': return new ChunkExtensionsTooLarge()
    case 'ERR_HTTP_REQUEST_TIMEOUT': return new RequestTimeout(limits.REQUEST_TIMEOUT_MS)
    case 'HPE_PAUSED_H2_UPGRADE': return new BadHttpRequest("HTTP/2 with prior knowledge is not served, only HTTP/1.1, in the request line 'PRI * HTTP/2.0'", error.code)
    default: return new BadHttpRequest(`${error.reason ?? error.message}${lineAtFault(error)}`, error.code ?? 'unknown')
  }
}

export function clientErrorAnswers (limits: ClientErrorLimits) {
  return function answerClientError (this: FastifyInstance, error: ClientError, socket: Socket): void {
    // A reset or a socket error (EPIPE, ETIMEDOUT) has no one to answer; only the parser and the timers make answers.
    if (socket.destroyed || !(error.code?.startsWith('HPE_') || error.code === 'ERR_HTTP_REQUEST_TIMEOUT')) {
      socket.destroy()
      return
    }
    const answer = answerTo(error, limits)
    const statusCode = answer.statusCode ?? 400
    this.log.debug({ code: error.code, answer: statusCode, remoteAddress: socket.remoteAddress }, `client error: ${answer.message}`)
    // As Node's own handler does: answer only when no answer has started on this connection, or the client would read
    // ours as the rest of that one. (`_httpMessage` is the response Node's HTTP server has assigned to the socket.)
    const inFlight = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage
    if (socket.writable && !inFlight?.headersSent) {
      const body = JSON.stringify(errorBody(statusCode, answer.code, answer.message))
      socket.write(`HTTP/1.1 ${statusCode} ${STATUS_CODES[statusCode] ?? 'Error'}\r\n` +
        `content-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
        `connection: close\r\n\r\n${body}`)
    }
    socket.destroy()
  }
}

/** Options of Node's HTTP server that Fastify has no option for (it passes `http` to createServer). */
export function nodeServerOptions (limits: ClientErrorLimits): ServerOptions {
  return {
    maxHeaderSize: limits.MAX_HEADER_BYTES,
    // Node would answer a missing Host with a bare 400 before any handler; requireHost (below) answers it instead.
    requireHostHeader: false,
    // One limit for the whole request: Node's own headersTimeout (60 s) would otherwise apply to the head alone.
    requestTimeout: limits.REQUEST_TIMEOUT_MS,
    headersTimeout: limits.REQUEST_TIMEOUT_MS,
    // Node checks for requests past their time every 30 s by default, so a 1-s limit would hold up to 31 s.
    connectionsCheckingInterval: Math.min(1000, Math.max(10, Math.round(limits.REQUEST_TIMEOUT_MS / 10)))
  }
}

type ConnectionLimits = Pick<Config, 'MAX_CONNECTIONS' | 'CONNECTION_TIMEOUT_MS'>

/**
 * Connections: at most MAX_CONNECTIONS at once (Node closes one more as soon as it is accepted: 'drop'), and one with
 * no traffic for CONNECTION_TIMEOUT_MS is closed (Fastify's connectionTimeout arms the socket timer) — a client that
 * stopped reading its answer, or connected and sent nothing. Not while the service is still working out the answer,
 * though: a ?wait=true request or a slow /sim/delay sends nothing until it is ready, and that wait is the service's,
 * not the client's. Node sets the same timer to KEEP_ALIVE_TIMEOUT_MS between requests, and lands here too.
 * Event streams send a comment more often than CONNECTION_TIMEOUT_MS (job-events.ts).
 */
export function guardConnections (server: Server, limits: ConnectionLimits, log: FastifyBaseLogger): void {
  server.maxConnections = limits.MAX_CONNECTIONS
  server.on('checkExpectation', answerUnmetExpectation)
  let refused = 0
  let warnedAt = -Infinity
  server.on('drop', () => {
    refused++
    if (performance.now() - warnedAt < 10_000) return // at most one warning per 10 s under a flood
    log.warn({ refused, maxConnections: limits.MAX_CONNECTIONS }, `refused ${refused} connection(s): MAX_CONNECTIONS (${limits.MAX_CONNECTIONS}) are open`)
    warnedAt = performance.now()
    refused = 0
  })
  // With a listener here Node no longer closes timed-out sockets itself: this decides for every one.
  server.on('timeout', (socket: Socket) => {
    const inFlight = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage
    if (inFlight && !inFlight.headersSent) return // the answer is still being worked out; any later write re-arms the timer
    socket.destroy()
  })
}

/**
 * HTTP/1.1 requires a Host header (RFC 9112 §3.2). Node checks it before Fastify sees the request and answers a
 * bare 400, so the check is made here instead, as an onRequest hook, with the service's error shape.
 */
export function requireHost (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void): void {
  if (request.raw.httpVersion === '1.1' && request.headers.host === undefined) done(new MissingHost())
  else done()
}

/** An Expect header other than 100-continue: Node would answer a bare 417 (no 'checkExpectation' listener). */
export function answerUnmetExpectation (request: IncomingMessage, response: ServerResponse): void {
  const error = new ExpectationFailed(String(request.headers.expect ?? '').slice(0, 60).replace(/[^\x20-\x7e]/g, '?'))
  const body = JSON.stringify(errorBody(417, error.code, error.message))
  response.writeHead(417, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), connection: 'close' }).end(body)
}

/**
 * Fastify's own answers before routing (frameworkErrors): a path that does not percent-decode, or a path parameter
 * past maxParamLength. The service's error shape, naming the path.
 */
export function answerFrameworkError (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const answer = error.code === 'FST_ERR_MAX_PARAM_LENGTH'
    ? new PathParamTooLong(request.url.split('?')[0]!.slice(0, 60))
    : new BadUrl(request.url.split('?')[0]!.slice(0, 60))
  reply.code(answer.statusCode ?? 400).send(errorBody(answer.statusCode ?? 400, answer.code, answer.message))
}
