/**
 * The net workload's default upstream: a bare node:http server on a loopback port, in its own thread so that the
 * main event loop being busy (inline CPU work) never delays it. It answers `/sim/delay` exactly as the route does.
 *
 *   main: spawn(limits) ─▶ upstream: listen(127.0.0.1:0) ─▶ main: { port }
 */
import { createServer } from 'node:http'
import { parentPort, workerData } from 'node:worker_threads'
import { checkSimDelay, simBody, simDelayMs, type SimDelayQuery } from '../src/upstream/sim-delay.js'

const limits = workerData as { SIM_MAX_DELAY_MS: number, SIM_MAX_BYTES: number }

function integer (params: URLSearchParams, name: string, fallback: number, max: number): number {
  const raw = params.get(name)
  if (raw === null) return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < 0 || value > max) throw new Error(`querystring/${name} must be an integer from 0 to ${max}`)
  return value
}

const server = createServer((request, response) => {
  const url = new URL(request.url ?? '/', 'http://upstream')
  if (url.pathname !== '/sim/delay') {
    response.writeHead(404).end()
    return
  }
  let query: SimDelayQuery
  try {
    query = {
      ms: integer(url.searchParams, 'ms', 0, limits.SIM_MAX_DELAY_MS),
      jitterMs: integer(url.searchParams, 'jitterMs', 0, limits.SIM_MAX_DELAY_MS),
      status: integer(url.searchParams, 'status', 200, 599),
      bytes: integer(url.searchParams, 'bytes', 0, limits.SIM_MAX_BYTES)
    }
    const problem = checkSimDelay(query, limits.SIM_MAX_DELAY_MS) ?? (query.status < 200 ? 'querystring/status must be >= 200' : undefined)
    if (problem) throw new Error(problem)
  } catch (error) {
    response.writeHead(400, { 'content-type': 'text/plain' }).end((error as Error).message)
    return
  }
  setTimeout(() => {
    const body = simBody(query.bytes)
    response.writeHead(query.status, { 'content-type': 'application/octet-stream', 'content-length': body.length }).end(body)
  }, simDelayMs(query))
})
server.keepAliveTimeout = 60_000

server.listen(0, '127.0.0.1', () => {
  const address = server.address()
  parentPort!.postMessage({ port: typeof address === 'object' && address ? address.port : 0 })
})
parentPort!.on('message', () => server.close())
