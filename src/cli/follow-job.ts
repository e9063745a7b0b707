import { setTimeout as sleep } from 'node:timers/promises'
import type { JobView, Progress } from '../jobs/job.js'
import { CliError, serviceError, type ServiceErrorBody } from './cli-error.js'
import { serverEvents } from './event-stream.js'
import { readBody, type ServiceClient } from './service-client.js'

const POLL_MS = 250
const FINISHED = new Set(['succeeded', 'failed', 'cancelled'])

/**
 * Follows a job to its end: progress from its event stream (`GET /jobs/:id/events`: `progress` events, then one
 * `end`), or by polling `GET /jobs/:id` when the service refuses another stream (429 TOO_MANY_STREAMS) or the
 * stream breaks. Answers the finished job as `GET /jobs/:id` shows it, so `--json` prints exactly that.
 */
export async function followJob (client: ServiceClient, id: string, onProgress: (progress: Progress) => void, signal?: AbortSignal): Promise<JobView> {
  const path = `/jobs/${encodeURIComponent(id)}`
  let ended = false
  try {
    const response = await client.open('GET', `${path}/events`, { accept: 'text/event-stream', ...(signal ? { signal } : {}) })
    if (response.statusCode === 200) {
      for await (const { event, data } of serverEvents(response)) {
        if (event === 'progress') onProgress(JSON.parse(data) as Progress)
        if (event === 'end') {
          onProgress((JSON.parse(data) as JobView).progress)
          ended = true
          break
        }
      }
      response.destroy()
    } else {
      const text = await readBody(response)
      let body: ServiceErrorBody | string = text
      try {
        body = JSON.parse(text) as ServiceErrorBody
      } catch {}
      if (response.statusCode !== 429) throw serviceError(response.statusCode ?? 0, body, `job ${id}`)
    }
  } catch (error) {
    if (signal?.aborted || error instanceof CliError) throw error
    // the stream broke: the job goes on, so poll for the rest
  }
  for (;;) {
    const job = await client.json<JobView>('GET', path, `job ${id}`, signal ? { signal } : {})
    onProgress(job.progress)
    if (ended || FINISHED.has(job.status)) return job
    await sleep(POLL_MS, undefined, signal ? { signal } : {})
  }
}
