import type { IncomingMessage } from 'node:http'

/**
 * Server-sent events (the WHATWG format) read from a response: `event:` and `data:` lines up to a blank line make
 * one event; `:` lines are comments (the service's keep-alives). Node 20 has no EventSource, and this is all the
 * CLI needs of one: no reconnection (a job's stream ends with its `end` event).
 */
export interface ServerEvent { event: string, data: string }

export async function * serverEvents (response: IncomingMessage): AsyncGenerator<ServerEvent> {
  response.setEncoding('utf8')
  let buffer = ''
  let event = 'message'
  let data: string[] = []
  for await (const chunk of response) {
    buffer += chunk as string
    let newline: number
    while ((newline = buffer.search(/\r\n|\r|\n/)) >= 0) {
      if (newline === buffer.length - 1 && buffer.endsWith('\r')) break // a \r\n split across chunks
      const line = buffer.slice(0, newline)
      buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1))
      if (line === '') {
        if (data.length > 0) yield { event, data: data.join('\n') }
        event = 'message'
        data = []
        continue
      }
      if (line.startsWith(':')) continue
      const colon = line.indexOf(':')
      const field = colon < 0 ? line : line.slice(0, colon)
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '')
      if (field === 'event') event = value
      else if (field === 'data') data.push(value)
    }
  }
}
