import { Agent, request, type IncomingHttpHeaders } from 'node:http'

/*
 * A closed-loop load generator over node:http: `connections` virtual users, each with its own keep-alive socket
 * (an Agent with that many sockets), each sending its next request as soon as the previous one has answered. Unlike
 * autocannon it sees every answer whole (status, headers, body), so each can be checked, and it tells a refused
 * connection from a reset one. It shares the test's cores with the service; the numbers are about correctness
 * under saturation, not about speed.
 */

export interface LoadRequest {
  /** the name answers are counted under ("POST /jobs") */
  route: string
  method: 'GET' | 'POST' | 'DELETE'
  path: string
  body?: unknown
}

export interface Answer {
  request: LoadRequest
  status: number
  headers: IncomingHttpHeaders
  /** the body (its first MAX_KEPT_BYTES) */
  body: string
  ms: number
  /** performance.now() when it ended */
  at: number
}

export interface Failure { request: LoadRequest, code: string, at: number }

export interface LoadOptions {
  connections: number
  /** the next request of a virtual user (`user`: 0 … connections − 1; `n`: how many it has sent) */
  next: (user: number, n: number) => LoadRequest
  /** what is wrong with an answer, or undefined */
  check?: (answer: Answer) => string | undefined
  /** an answer not complete within this long is abandoned and counted as 'TIMEOUT' */
  requestTimeoutMs?: number
  /** users start this far apart (0: all at once, a burst of new connections) */
  rampMs?: number
  /** every answer, after it is counted (a test follows job ids here) */
  onAnswer?: (answer: Answer) => void
}

const MAX_KEPT_BYTES = 64 * 1024
const MAX_EXAMPLES = 20

export class LoadDriver {
  readonly #url: URL
  readonly #options: LoadOptions
  readonly #agent: Agent
  #running = false
  #users: Promise<void>[] = []
  /** route → status (or failure code) → count */
  readonly byRoute = new Map<string, Map<string, number>>()
  readonly failures: Failure[] = []
  /** problems found by `check`: the count, and the first MAX_EXAMPLES */
  problemCount = 0
  readonly problems: string[] = []
  answers = 0
  readonly latenciesMs: number[] = []

  constructor (url: string, options: LoadOptions) {
    this.#url = new URL(url)
    this.#options = options
    this.#agent = new Agent({ keepAlive: true, maxSockets: options.connections, maxFreeSockets: options.connections })
  }

  start (): void {
    this.#running = true
    for (let user = 0; user < this.#options.connections; user++) this.#users.push(this.#loop(user))
  }

  /** Lets every user finish the request it is in, then stops; resolves once all have. */
  async stop (): Promise<void> {
    this.#running = false
    await Promise.all(this.#users)
  }

  /** Closes every socket at once (after the test, or to cut in-flight requests off). */
  destroy (): void {
    this.#running = false
    this.#agent.destroy()
  }

  /** Statuses and failure codes over every route. */
  totals (): Map<string, number> {
    const totals = new Map<string, number>()
    for (const counts of this.byRoute.values()) for (const [key, n] of counts) totals.set(key, (totals.get(key) ?? 0) + n)
    return totals
  }

  #count (route: string, key: string): void {
    let counts = this.byRoute.get(route)
    if (!counts) this.byRoute.set(route, counts = new Map())
    counts.set(key, (counts.get(key) ?? 0) + 1)
  }

  async #loop (user: number): Promise<void> {
    const rampMs = this.#options.rampMs ?? 0
    if (rampMs > 0) await new Promise((resolve) => setTimeout(resolve, user * rampMs))
    for (let n = 0; this.#running; n++) {
      const next = this.#options.next(user, n)
      try {
        const answer = await this.#send(next)
        this.answers++
        this.latenciesMs.push(answer.ms)
        this.#count(next.route, String(answer.status))
        const problem = this.#options.check?.(answer)
        if (problem !== undefined) {
          this.problemCount++
          if (this.problems.length < MAX_EXAMPLES) this.problems.push(`${next.method} ${next.path}: ${problem}`)
        }
        this.#options.onAnswer?.(answer)
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message
        this.failures.push({ request: next, code, at: performance.now() })
        this.#count(next.route, code)
        // A refused connection answers at once: do not spin on it.
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
    }
  }

  #send (load: LoadRequest): Promise<Answer> {
    return send(this.#url, load, { agent: this.#agent, timeoutMs: this.#options.requestTimeoutMs })
  }
}

export interface SendOptions {
  agent?: Agent | false
  /** the client address (any of 127.0.0.0/8 on Linux): the service limits rates per client address */
  localAddress?: string
  /** an answer not complete within this long is abandoned: the promise rejects with code 'TIMEOUT' */
  timeoutMs?: number
  /** how much of the body to keep (MAX_KEPT_BYTES unless given) */
  keepBytes?: number
}

/** One request and its whole answer (the body's first `keepBytes`). */
export function send (url: URL | string, load: LoadRequest, options: SendOptions = {}): Promise<Answer> {
  const target = new URL(url)
  const started = performance.now()
  const payload = load.body === undefined ? undefined : JSON.stringify(load.body)
  const keepBytes = options.keepBytes ?? MAX_KEPT_BYTES
  return new Promise<Answer>((resolve, reject) => {
    const outgoing = request({
      host: target.hostname,
      port: target.port,
      method: load.method,
      path: load.path,
      agent: options.agent ?? false,
      localAddress: options.localAddress,
      headers: payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
    }, (response) => {
      const chunks: Buffer[] = []
      let kept = 0
      response.on('data', (chunk: Buffer) => {
        if (kept < keepBytes) chunks.push(chunk)
        kept += chunk.length
      })
      response.once('error', reject)
      response.once('end', () => {
        const at = performance.now()
        resolve({ request: load, status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).subarray(0, keepBytes).toString('utf8'), ms: at - started, at })
      })
    })
    outgoing.once('error', reject)
    if (options.timeoutMs !== undefined) {
      outgoing.setTimeout(options.timeoutMs, () => outgoing.destroy(Object.assign(new Error('no answer in time'), { code: 'TIMEOUT' })))
    }
    outgoing.end(payload)
  })
}

/** The error code of an error answer's body, or its status when the body has none. */
export function errorCode (answer: Answer): string {
  try {
    const code = (JSON.parse(answer.body) as { code?: unknown }).code
    return typeof code === 'string' ? code : `${answer.status} without a code`
  } catch {
    return `${answer.status} not JSON`
  }
}

/**
 * What is wrong with an answer under overload, or undefined: only 2xx, 429 and 503, and a refusal carries a
 * positive whole Retry-After and the error shape `{ statusCode, code, error, message }` (nothing else).
 */
export function overloadAnswerProblem (answer: Answer): string | undefined {
  const { status } = answer
  if (status >= 200 && status < 300) return undefined
  const excerpt = answer.body.slice(0, 300)
  if (status !== 429 && status !== 503) return `status ${status}: ${excerpt}`
  const retryAfter = answer.headers['retry-after']
  if (retryAfter === undefined || !/^[1-9]\d*$/.test(retryAfter)) return `${status} with Retry-After ${JSON.stringify(retryAfter)}: ${excerpt}`
  let body: unknown
  try {
    body = JSON.parse(answer.body)
  } catch {
    return `${status} with a body that is not JSON: ${excerpt}`
  }
  const shape = body as Record<string, unknown>
  const keys = Object.keys(shape).sort().join(',')
  if (keys !== 'code,error,message,statusCode' || shape.statusCode !== status || typeof shape.code !== 'string' ||
    typeof shape.error !== 'string' || typeof shape.message !== 'string' || shape.message === '') {
    return `${status} not in the error shape: ${excerpt}`
  }
  return undefined
}

/** The p-th percentile (0 … 100) of some numbers, by nearest rank. */
export function percentile (values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p / 100 * sorted.length) - 1))]!
}

/** The largest of some numbers (Math.max(...values) overflows the stack past ~100 000). */
export function maxOf (values: readonly number[]): number {
  return values.reduce((max, value) => value > max ? value : max, -Infinity)
}

/** "200: 12, 429: 3400, …" */
export function histogram (counts: ReadonlyMap<string, number>): string {
  return [...counts].sort(([a], [b]) => a.localeCompare(b)).map(([key, n]) => `${key}: ${n}`).join(', ')
}
