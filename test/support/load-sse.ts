import { request } from 'node:http'

export interface EventsOutcome {
  status: number
  /** the event names in the order they came ("progress", "end") */
  events: string[]
  /** the stream ended with an `end` event (not closed by this side first) */
  ended: boolean
}

/**
 * Follows GET /jobs/:id/events on a connection of its own: until the `end` event, or until this side hangs up
 * after `closeAfterMs` (a client that leaves mid-stream), or fails after `timeoutMs`.
 */
export function followEvents (url: string, jobId: string, { closeAfterMs, timeoutMs = 30_000 }: { closeAfterMs?: number, timeoutMs?: number } = {}): Promise<EventsOutcome> {
  const target = new URL(url)
  return new Promise((resolve, reject) => {
    const events: string[] = []
    let status = 0
    let settled = false
    let hangUp: NodeJS.Timeout | undefined
    const finish = (ended: boolean) => {
      if (settled) return
      settled = true
      clearTimeout(hangUp)
      clearTimeout(timeout)
      outgoing.destroy()
      resolve({ status, events, ended })
    }
    const outgoing = request({ host: target.hostname, port: target.port, path: `/jobs/${jobId}/events`, agent: false }, (response) => {
      status = response.statusCode ?? 0
      let buffered = ''
      response.setEncoding('utf8')
      response.on('data', (text: string) => {
        buffered += text
        let blank: number
        while ((blank = buffered.indexOf('\n\n')) >= 0) {
          const name = /^event: (\S+)/m.exec(buffered.slice(0, blank))?.[1]
          buffered = buffered.slice(blank + 2)
          if (name !== undefined) events.push(name)
          if (name === 'end') finish(true)
        }
      })
      response.once('end', () => finish(events.includes('end')))
      response.once('error', () => finish(false))
      if (closeAfterMs !== undefined) hangUp = setTimeout(() => finish(false), closeAfterMs)
    })
    const timeout = setTimeout(() => {
      if (settled) return
      settled = true
      outgoing.destroy()
      reject(new Error(`GET /jobs/${jobId}/events: no end within ${timeoutMs} ms (events so far: ${events.join(', ')})`))
    }, timeoutMs)
    outgoing.once('error', (error) => {
      if (settled) return
      settled = true
      clearTimeout(timeout)
      reject(error)
    })
    outgoing.end()
  })
}
