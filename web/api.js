/* global fetch, sessionStorage, document, Blob, URL, TextDecoderStream, setTimeout */
// The service's API from the page: every call carries the token when one is kept (API_TOKEN, docs/security.md),
// event streams are read with fetch (EventSource cannot send an Authorization header), downloads go through a blob.

const TOKEN_KEY = 'concurrency-lab.token'

export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY) ?? '',
  set: (value) => sessionStorage.setItem(TOKEN_KEY, value),
  clear: () => sessionStorage.removeItem(TOKEN_KEY)
}

/** An error answer of the service: its status and `{ code, message }` (docs/api.md#errors). */
export class ApiError extends Error {
  constructor (status, body) {
    super(body?.message ?? `HTTP ${status}`)
    this.status = status
    this.code = body?.code ?? `HTTP_${status}`
  }
}

function headersFor (accept, hasBody) {
  const headers = { accept }
  if (hasBody) headers['content-type'] = 'application/json'
  const kept = token.get()
  if (kept) headers.authorization = `Bearer ${kept}`
  return headers
}

async function failure (response) {
  let body
  try { body = await response.json() } catch { body = undefined }
  return new ApiError(response.status, body)
}

/** One call: JSON in and out by default; `raw` (or an Accept other than JSON) answers the text. */
export async function api (path, { method = 'GET', body, accept = 'application/json', raw = accept !== 'application/json', signal } = {}) {
  const response = await fetch(path, {
    method,
    headers: headersFor(accept, body !== undefined),
    body: body === undefined ? undefined : JSON.stringify(body),
    signal
  })
  if (!response.ok) throw await failure(response)
  return raw ? response.text() : response.json()
}

/**
 * A server-sent event stream (GET /jobs/:id/events): calls onEvent(name, data) per event until the stream ends or
 * `signal` aborts (then it resolves quietly).
 */
export async function streamEvents (path, onEvent, signal) {
  let response
  try {
    response = await fetch(path, { headers: headersFor('text/event-stream', false), signal })
  } catch (error) {
    if (signal?.aborted) return
    throw error
  }
  if (!response.ok) throw await failure(response)
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
  let buffer = ''
  try {
    for (;;) {
      const { value, done } = await reader.read()
      if (done) return
      buffer += value
      let end
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        let event = 'message'
        const data = []
        for (const line of block.split('\n')) {
          if (line.startsWith('event:')) event = line.slice(6).trim()
          else if (line.startsWith('data:')) data.push(line.slice(5).trimStart())
        }
        if (data.length > 0) onEvent(event, JSON.parse(data.join('\n')))
      }
    }
  } catch (error) {
    if (signal?.aborted) return
    throw error
  }
}

/** Fetches `path` with this Accept (and the token) and saves the answer as `filename`. */
export async function download (path, accept, filename) {
  const text = await api(path, { accept, raw: true })
  const blob = new Blob([text], { type: accept })
  const url = URL.createObjectURL(blob)
  const link = document.createElement('a')
  link.href = url
  link.download = filename
  document.body.append(link)
  link.click()
  link.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}
