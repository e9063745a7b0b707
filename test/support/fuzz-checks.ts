import type { FuzzRequest } from './fuzz-cases.js'
import type { FuzzAnswer } from './fuzz-http.js'

/*
 * What every fuzz answer must be (issue 11): no 500; a 5xx only where it is by design; every error in the service's
 * shape `{ statusCode, code, error, message }` with a stable UPPER_SNAKE code, and a 400's message naming the field
 * or header (or the limit's config variable).
 */

const STABLE_CODE = /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$/
/**
 * Words a 400's message names its culprit with (validation-message.ts writes `body/tasks`, `querystring/mode`, …);
 * an answer of Node's parser (client-errors.ts) names the `header line` or the `request line` it stopped in.
 */
const PLACES = ['body', 'querystring', 'params', 'header', 'content-type', 'request line']
const WORK_RESULT_ROUTES = /^GET \/work\/(hash|db|net|file)$/
const SHAPE_KEYS = ['code', 'error', 'message', 'statusCode']

function json (answer: FuzzAnswer): unknown {
  try {
    return JSON.parse(answer.body.toString('utf8'))
  } catch {
    return undefined
  }
}

/** Problems with an error body: the shape, statusCode = the status, the code, and for a 400 the message. */
function errorShapeProblems (status: number, body: unknown, configNames: ReadonlySet<string>): string[] {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return ['the error body is not a JSON object']
  const error = body as Record<string, unknown>
  const problems: string[] = []
  const keys = Object.keys(error).sort()
  if (keys.join() !== SHAPE_KEYS.join()) problems.push(`the error body has keys [${keys.join(', ')}], not exactly [${SHAPE_KEYS.join(', ')}]`)
  if (error.statusCode !== status) problems.push(`statusCode ${String(error.statusCode)} is not the HTTP status ${status}`)
  if (typeof error.code !== 'string' || !STABLE_CODE.test(error.code)) problems.push(`code ${JSON.stringify(error.code)} is not a stable UPPER_SNAKE code`)
  if (typeof error.error !== 'string' || error.error === '') problems.push('error is not a non-empty string')
  if (typeof error.message !== 'string' || error.message === '') {
    problems.push('message is not a non-empty string')
  } else if (status === 400) {
    const message = error.message
    const names = PLACES.some((place) => message.includes(place)) || [...message.matchAll(/[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+/g)].some(([name]) => configNames.has(name))
    if (!names) problems.push('the 400 message names no field, header or config variable')
  }
  return problems
}

/** Whether GET /sim/delay answered the status its query asked for (its whole purpose: any status, an octet body). */
function simAnsweredAsAsked (request: FuzzRequest, answer: FuzzAnswer): boolean {
  if (request.op !== 'GET /sim/delay' || !String(answer.headers['content-type'] ?? '').startsWith('application/octet-stream')) return false
  const asked = new URL(request.path, 'http://x').searchParams.getAll('status')
  return asked.length === 1 && Number(asked[0]) === answer.status
}

/** Every problem with one answer (an empty list: it is fine). */
export function answerProblems (request: FuzzRequest, answer: FuzzAnswer, configNames: ReadonlySet<string>): string[] {
  if (answer.error) {
    if (answer.error === 'timeout') return ['no answer in time (a hang)']
    // Node closes the connection after refusing an oversize head or body: the client may see the reset first.
    if (request.mayReset && /ECONNRESET|EPIPE|aborted/.test(answer.error) && (answer.status === undefined || answer.status >= 400)) return []
    return [`no complete answer: ${answer.error}${answer.status ? ` (after status ${answer.status})` : ''}`]
  }
  const status = answer.status ?? 0
  if (simAnsweredAsAsked(request, answer)) return []
  const body = json(answer)
  if (status >= 200 && status < 300) {
    const type = String(answer.headers['content-type'] ?? '')
    return type.startsWith('application/json') && body === undefined ? ['a 2xx JSON answer that does not parse'] : []
  }
  if (status < 400) return status >= 300 ? [] : [`unexpected status ${status}`]
  if (status === 500) return ['500', ...errorShapeProblems(status, body, configNames)]
  if (status >= 500) {
    if (status === 502 && WORK_RESULT_ROUTES.test(request.op)) {
      const result = body as Record<string, unknown> | undefined
      return result && result.ok === false && typeof result.error === 'string' && typeof result.workload === 'string' ? [] : ['a 502 without the work-result body (ok: false, error)']
    }
    if (status === 503 && request.op === 'GET /readyz') {
      return (body as { status?: unknown } | undefined)?.status === 'not ready' ? [] : ['a 503 /readyz without its status body']
    }
    const problems = errorShapeProblems(status, body, configNames)
    const code = (body as { code?: unknown } | undefined)?.code
    if (status === 503) {
      if (answer.headers['retry-after'] === undefined) problems.push('a 503 without Retry-After')
    } else if (status === 504) {
      if (code !== 'LAB_TIMED_OUT' || !request.op.startsWith('POST /labs/')) problems.push('a 504 other than LAB_TIMED_OUT from a lab')
    } else {
      problems.push(`status ${status} is not a 5xx the service makes by design`)
    }
    return problems
  }
  return errorShapeProblems(status, body, configNames)
}

/** One request and its answer, short enough to print and to repeat by hand. */
export function describeExchange (request: FuzzRequest, answer: FuzzAnswer): string {
  const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text)
  const headers = Object.entries(request.headers).filter(([name]) => !name.startsWith('x-extra-')).map(([name, value]) => `${name}: ${clip(value, 80)}`)
  const answered = answer.error
    ? `error ${answer.error}`
    : `${answer.status} ${answer.body.length > 0 ? clip(answer.body.toString('utf8'), 400) : '(empty body)'}`
  if (request.raw) return `raw bytes ${JSON.stringify(clip(request.raw.toString('latin1'), 300))} (${request.what}) → ${answered}`
  const body = request.body ? ` body[${request.body.length}${request.chunked ? ', chunked' : ''}]=${JSON.stringify(clip(request.body.toString('utf8'), 200))}` : ''
  return `${request.method} ${clip(request.path, 200)} {${headers.join('; ')}}${body} (${request.what}) → ${answered}`
}

export interface Exchange { request: FuzzRequest, answer: FuzzAnswer }

/** Requests per operation and the status histogram ('reset' and 'timeout' for answers that did not arrive). */
export function histograms (exchanges: readonly Exchange[]): { perOperation: Map<string, number>, statuses: Map<string, number> } {
  const perOperation = new Map<string, number>()
  const statuses = new Map<string, number>()
  for (const { request, answer } of exchanges) {
    perOperation.set(request.op, (perOperation.get(request.op) ?? 0) + 1)
    const key = answer.error ? (answer.error === 'timeout' ? 'timeout' : 'reset') : String(answer.status)
    statuses.set(key, (statuses.get(key) ?? 0) + 1)
  }
  return { perOperation, statuses }
}

/**
 * Every bad answer, grouped by what is wrong (status, code and problem: the same bug hit by many mutations on many
 * operations is one group), with the mutations and operations that hit it and two exact requests and answers.
 */
export function problemGroups (exchanges: readonly Exchange[], configNames: ReadonlySet<string>): string[] {
  const groups = new Map<string, { ops: Set<string>, whats: Set<string>, count: number, examples: string[] }>()
  for (const { request, answer } of exchanges) {
    const found = answerProblems(request, answer, configNames)
    if (found.length === 0) continue
    let code = ''
    try {
      code = String(JSON.parse(answer.body.toString('utf8')).code ?? '')
    } catch {
      // not JSON: the problem says so
    }
    const key = `${answer.status ?? answer.error}${code ? ` ${code}` : ''}: ${found.join('; ')}`
    const group = groups.get(key) ?? { ops: new Set<string>(), whats: new Set<string>(), count: 0, examples: [] }
    groups.set(key, group)
    group.count++
    if (!group.ops.has(request.op) && group.examples.length < 2) group.examples.push(describeExchange(request, answer))
    group.ops.add(request.op)
    group.whats.add(request.what)
  }
  return [...groups].map(([key, { ops, whats, count, examples }]) => {
    const sent = [...whats].sort((a, b) => a.length - b.length)
    return `${key} — ${count} answer(s)\n    sent: ${sent.slice(0, 4).join(' | ')}${sent.length > 4 ? ` | … (${sent.length} kinds)` : ''}` +
      `\n    on ${[...ops].sort().join(', ')}\n    e.g. ${examples.join('\n    e.g. ')}`
  })
}
