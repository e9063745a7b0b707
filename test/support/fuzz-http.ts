import http, { type IncomingHttpHeaders } from 'node:http'
import type { FuzzRequest } from './fuzz-cases.js'
import { sendRaw } from './fuzz-raw.js'

/**
 * Sends fuzz requests over real sockets with node:http (fetch refuses a body on GET and some headers), one
 * connection per request, so Node's HTTP parser and server limits are exercised as a client would hit them.
 */

export interface FuzzAnswer {
  status?: number
  headers: IncomingHttpHeaders
  body: Buffer
  /** set when no complete answer arrived: the socket error, or 'timeout' */
  error?: string
  ms: number
}

const MAX_KEPT_BODY = 1024 * 1024

/** Something to close if the test ends before its answer does. */
export interface Closable { destroy: () => void }

/**
 * Sends fuzz requests; `close()` ends every connection still open (a test that failed or timed out must not leave
 * sockets behind for app.close() to wait on).
 */
export class FuzzClient {
  readonly #open = new Set<Closable>()

  constructor (readonly timeoutMs: number) {}

  /** Keeps `handle` until the returned function is called. */
  track (handle: Closable): () => void {
    this.#open.add(handle)
    return () => { this.#open.delete(handle) }
  }

  close (): void {
    for (const handle of this.#open) handle.destroy()
    this.#open.clear()
  }

  send (origin: URL, request: FuzzRequest): Promise<FuzzAnswer> {
    if (request.raw) return sendRaw(origin, request.raw, this.timeoutMs, (handle) => this.track(handle))
    return sendWithHttp(origin, request, this.timeoutMs, (handle) => this.track(handle))
  }
}

function sendWithHttp (origin: URL, request: FuzzRequest, timeoutMs: number, track: (handle: Closable) => () => void): Promise<FuzzAnswer> {
  const started = performance.now()
  return new Promise((resolve) => {
    let settled = false
    let status: number | undefined
    let headers: IncomingHttpHeaders = {}
    const chunks: Buffer[] = []
    let kept = 0
    let untrack = () => {}
    const finish = (error?: string) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      untrack()
      resolve({ ...(status === undefined ? {} : { status }), headers, body: Buffer.concat(chunks), ...(error ? { error } : {}), ms: performance.now() - started })
    }
    const requestHeaders: Record<string, string | number> = { ...request.headers }
    if (request.body && !request.chunked) requestHeaders['content-length'] = request.body.length
    if (request.chunked) requestHeaders['transfer-encoding'] = 'chunked'
    let outgoing: http.ClientRequest
    try {
      outgoing = http.request({
        host: origin.hostname,
        port: origin.port,
        method: request.method,
        path: request.path,
        headers: requestHeaders,
        agent: false
      }, (response) => {
        status = response.statusCode
        headers = response.headers
        response.on('data', (chunk: Buffer) => {
          if (kept < MAX_KEPT_BODY) chunks.push(chunk)
          kept += chunk.length
        })
        response.on('end', () => finish())
        response.on('error', (error) => finish(`response: ${(error as NodeJS.ErrnoException).code ?? error.message}`))
        response.on('aborted', () => finish('response aborted'))
      })
    } catch (error) {
      resolve({ headers, body: Buffer.alloc(0), error: `client refused to send: ${(error as Error).message}`, ms: 0 })
      return
    }
    untrack = track(outgoing)
    const timer = setTimeout(() => {
      finish('timeout')
      outgoing.destroy()
    }, timeoutMs)
    outgoing.on('error', (error) => finish(`request: ${(error as NodeJS.ErrnoException).code ?? error.message}`))
    if (request.body && request.chunked) {
      const half = Math.floor(request.body.length / 2)
      outgoing.write(request.body.subarray(0, half))
      outgoing.end(request.body.subarray(half))
    } else {
      outgoing.end(request.body)
    }
  })
}

/**
 * Runs `work` over `items` in list order with at most `concurrency` in flight; past `deadline` (performance.now())
 * no new item starts, and those left are undefined.
 */
export async function inBatches<T, R> (items: readonly T[], concurrency: number, work: (item: T, index: number) => Promise<R>, deadline = Infinity): Promise<Array<R | undefined>> {
  const results: Array<R | undefined> = new Array(items.length).fill(undefined)
  let next = 0
  const lane = async () => {
    while (next < items.length && performance.now() < deadline) {
      const index = next++
      results[index] = await work(items[index]!, index)
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane))
  return results
}
