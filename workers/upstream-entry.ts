/**
 * The net workload's default upstream: a bare node:http server on a loopback port, in its own thread so that the
 * main event loop being busy (inline CPU work) never delays it. It answers `/sim/delay` exactly as the route does.
 *
 *   main: spawn({ limits, port }) ─▶ upstream: listen(127.0.0.1:port) ─▶ main: { port }
 *
 * Nothing a client sends may throw out of here: an uncaught exception ends this thread (the main thread then
 * restarts it, but the jobs calling it fail meanwhile). A request target that is not a URL answers 400, a request
 * the HTTP parser rejects answers 400 from `clientError`, and anything else that throws answers 500.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { parentPort, workerData } from 'node:worker_threads'
import type { UpstreamListening, UpstreamWorkerData } from '../src/upstream/upstream-messages.js'
import { checkSimDelay, simBody, simDelayMs, type SimDelayQuery } from '../src/upstream/sim-delay.js'

const limits = workerData as UpstreamWorkerData

function integer (params: URLSearchParams, name: string, fallback: number, max: number): number {
  const raw = params.get(name)
  if (raw === null) return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < 0 || value > max) throw new Error(`querystring/${name} must be an integer from 0 to ${max}`)
  return value
}

function plain (response: ServerResponse, status: number, message: string): void {
  if (response.headersSent) {
    response.destroy()
    return
  }
  response.writeHead(status, { 'content-type': 'text/plain' }).end(message)
}

/** The query of a `/sim/delay` request, or a message naming the field that is wrong. */
function parseQuery (params: URLSearchParams): SimDelayQuery | string {
  try {
    const query = {
      ms: integer(params, 'ms', 0, limits.SIM_MAX_DELAY_MS),
      jitterMs: integer(params, 'jitterMs', 0, limits.SIM_MAX_DELAY_MS),
      status: integer(params, 'status', 200, 599),
      bytes: integer(params, 'bytes', 0, limits.SIM_MAX_BYTES)
    }
    return checkSimDelay(query, limits.SIM_MAX_DELAY_MS) ?? (query.status < 200 ? 'querystring/status must be >= 200' : query)
  } catch (error) {
    return (error as Error).message
  }
}

function handle (request: IncomingMessage, response: ServerResponse): void {
  let url: URL
  try {
    url = new URL(request.url ?? '/', 'http://upstream')
  } catch {
    plain(response, 400, 'the request target is not a valid URL')
    return
  }
  if (url.pathname !== '/sim/delay') {
    response.writeHead(404).end()
    return
  }
  const query = parseQuery(url.searchParams)
  if (typeof query === 'string') {
    plain(response, 400, query)
    return
  }
  setTimeout(() => {
    try {
      const body = simBody(query.bytes)
      response.writeHead(query.status, { 'content-type': 'application/octet-stream', 'content-length': body.length }).end(body)
    } catch (error) {
      plain(response, 500, (error as Error).message)
    }
  }, simDelayMs(query))
}

const server = createServer((request, response) => {
  try {
    handle(request, response)
  } catch (error) {
    plain(response, 500, (error as Error).message)
  }
})
server.keepAliveTimeout = 60_000

// A request the HTTP parser rejects: answer it and close the connection (Node's own default, made explicit so it
// stays so, with the header-size case named). A socket already gone or reset gets nothing.
server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy()
    return
  }
  const status = error.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request'
  socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`)
})

server.listen(limits.port, '127.0.0.1', () => {
  const address = server.address()
  const listening: UpstreamListening = { port: typeof address === 'object' && address ? address.port : 0 }
  parentPort!.postMessage(listening)
})
