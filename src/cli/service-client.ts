import { request as httpRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { serviceError, unreachable, usageError, type ServiceErrorBody } from './cli-error.js'

/**
 * The service's HTTP API over node:http: JSON in and out, `Authorization: Bearer` when a token is given, and its
 * error shape `{ statusCode, code, error, message }` turned into one line. node:http rather than fetch: a compare
 * or a `?wait` answer may take longer than fetch's fixed 300-s header timeout, an event stream has no end in
 * sight, and a refused connection reports its code (ECONNREFUSED) directly.
 */
export interface ClientOptions {
  url: string
  token?: string | undefined
}

export interface Answer { status: number, body: unknown }

export class ServiceClient {
  readonly base: URL
  readonly #token: string | undefined

  constructor ({ url, token }: ClientOptions) {
    let base: URL
    try {
      base = new URL(url)
    } catch {
      throw usageError(`bad --url '${url}': not a URL (e.g. http://127.0.0.1:3000)`)
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') throw usageError(`bad --url '${url}': only http:// and https:// are supported`)
    this.base = base
    this.#token = token === '' ? undefined : token
  }

  /** The service's address as the user gave it, for messages. */
  get origin (): string {
    return this.base.href.replace(/\/$/, '')
  }

  #url (path: string): URL {
    const url = new URL(this.base.href)
    url.pathname = `${url.pathname.replace(/\/$/, '')}${path.replace(/\?.*$/, '')}`
    url.search = path.includes('?') ? path.slice(path.indexOf('?')) : ''
    return url
  }

  /** Sends one request; resolves with the response as soon as its headers are in. */
  open (method: string, path: string, { body, accept = 'application/json', signal }: { body?: unknown, accept?: string, signal?: AbortSignal } = {}): Promise<IncomingMessage> {
    const url = this.#url(path)
    const payload = body === undefined ? undefined : JSON.stringify(body)
    const headers: Record<string, string> = { accept }
    if (payload !== undefined) headers['content-type'] = 'application/json'
    if (this.#token !== undefined) headers.authorization = `Bearer ${this.#token}`
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest
    return new Promise((resolve, reject) => {
      const req = send(url, { method, headers, ...(signal ? { signal } : {}) }, resolve)
      req.on('error', (error) => reject(signal?.aborted ? error : unreachable(this.origin, error)))
      req.end(payload)
    })
  }

  /** A whole JSON answer; a status of 400 or more becomes a CliError that quotes the service's message. */
  async json<T> (method: string, path: string, what: string, options: { body?: unknown, signal?: AbortSignal } = {}): Promise<T> {
    const { status, body } = await this.answer(method, path, options)
    if (status >= 400) throw serviceError(status, body as ServiceErrorBody | string, what)
    return body as T
  }

  /** The status and the body (parsed when it is JSON), whatever the status. */
  async answer (method: string, path: string, options: { body?: unknown, signal?: AbortSignal } = {}): Promise<Answer> {
    const response = await this.open(method, path, options)
    let text: string
    try {
      text = await readBody(response)
    } catch (error) {
      throw unreachable(this.origin, error)
    }
    const status = response.statusCode ?? 0
    let body: unknown = text
    if (/json/.test(response.headers['content-type'] ?? '')) {
      try {
        body = JSON.parse(text)
      } catch {}
    }
    return { status, body }
  }
}

export async function readBody (response: IncomingMessage): Promise<string> {
  let text = ''
  response.setEncoding('utf8')
  for await (const chunk of response) text += chunk as string
  return text
}
