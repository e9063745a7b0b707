import assert from 'node:assert/strict'
import type { IncomingMessage } from 'node:http'
import { Readable } from 'node:stream'
import { test } from 'node:test'
import { serverEvents, type ServerEvent } from '../src/cli/event-stream.js'

async function eventsOf (chunks: string[]): Promise<ServerEvent[]> {
  const events: ServerEvent[] = []
  for await (const event of serverEvents(Readable.from(chunks.map((chunk) => Buffer.from(chunk))) as unknown as IncomingMessage)) events.push(event)
  return events
}

test('server-sent events: events split anywhere across chunks, comments, CRLF, multi-line data', async () => {
  const stream = 'event: progress\ndata: {"done":1}\n\n: keep-alive\n\nevent: end\r\ndata: {"a":\r\ndata: 2}\r\n\r\ndata: plain\n\n'
  const expected = [
    { event: 'progress', data: '{"done":1}' },
    { event: 'end', data: '{"a":\n2}' },
    { event: 'message', data: 'plain' }
  ]
  assert.deepEqual(await eventsOf([stream]), expected)
  // every split point, including between \r and \n
  for (let at = 1; at < stream.length; at++) assert.deepEqual(await eventsOf([stream.slice(0, at), stream.slice(at)]), expected, `split at ${at}`)
  assert.deepEqual(await eventsOf([...stream]), expected, 'one character per chunk')
  assert.deepEqual(await eventsOf(['event: end\ndata: cut']), [], 'an event not ended by a blank line is not dispatched')
})
