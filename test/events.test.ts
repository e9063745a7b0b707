import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { JobView, Progress } from '../src/jobs/job.js'
import request, { type Response as TestResponse } from 'supertest'
import { listenTestApp, waitFor } from './support/app.js'
import { parseCsv } from './support/csv.js'

/**
 * Real HTTP against a listening server: server-sent events, ?wait=true, 202 + Location, listing, text and CSV.
 * supertest for request/response checks; fetch for the event stream (supertest buffers a body until it ends).
 */

const HTTP_TIMEOUT_MS = 20_000

interface SseEvent {
  event: string
  data: unknown
}

async function postJob (url: string, spec: Record<string, unknown>, query = ''): Promise<{ response: TestResponse, job: JobView }> {
  const response = await request(url).post(`/jobs${query}`).send(spec).timeout(HTTP_TIMEOUT_MS)
  assert.ok(response.status < 300, `POST /jobs${query}: ${response.status} ${response.text}`)
  return { response, job: response.body as JobView }
}

async function getJson<T> (url: string, path: string): Promise<T> {
  const response = await request(url).get(path).timeout(HTTP_TIMEOUT_MS)
  assert.equal(response.status, 200, `GET ${path}: ${response.text}`)
  assert.match(String(response.headers['content-type']), /^application\/json/)
  return response.body as T
}

/**
 * Reads a server-sent event stream until the server closes it (a stream that never closes fails the test through
 * the timeout instead of hanging it). Comment lines (heartbeats) are skipped.
 */
async function readEvents (url: string): Promise<{ response: Response, events: SseEvent[], ms: number }> {
  const started = performance.now()
  const response = await fetch(url, { headers: { accept: 'text/event-stream' }, signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) })
  assert.ok(response.body, 'the stream has a body')
  const events: SseEvent[] = []
  const decoder = new TextDecoder()
  let buffer = ''
  const take = () => {
    let end
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end)
      buffer = buffer.slice(end + 2)
      let event = 'message'
      const data: string[] = []
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue
        if (line.startsWith('event:')) event = line.slice(6).trim()
        else if (line.startsWith('data:')) data.push(line.slice(5).trimStart())
      }
      if (data.length > 0) events.push({ event, data: JSON.parse(data.join('\n')) })
    }
  }
  for await (const chunk of response.body) {
    buffer += decoder.decode(chunk as Uint8Array, { stream: true })
    take()
  }
  buffer += decoder.decode()
  take()
  assert.equal(buffer.trim(), '', 'the stream ends on a complete event')
  return { response, events, ms: performance.now() - started }
}

function assertProgress (value: unknown, total: number, where: string): asserts value is Progress {
  const progress = value as Progress
  assert.equal(typeof progress, 'object', where)
  const { latest, ...counts } = progress as Progress & { latest?: { startMs: number, done: number, failed: number, tasksPerSec: number } | null }
  assert.deepEqual(Object.keys(counts).sort(), ['done', 'failed', 'total'], `${where}: ${JSON.stringify(value)}`)
  // Events sent while the job runs carry the series row being filled (the first one, sent at once, may not).
  if (latest) assert.ok(latest.startMs >= 0 && latest.done >= 0 && latest.failed >= 0 && latest.tasksPerSec >= 0, `${where}: ${JSON.stringify(latest)}`)
  assert.equal(progress.total, total, where)
  assert.ok(Number.isInteger(progress.done) && Number.isInteger(progress.failed), where)
  assert.ok(progress.done >= 0 && progress.failed >= 0 && progress.done + progress.failed <= total, `${where}: ${JSON.stringify(value)}`)
}

test('GET /jobs/:id/events streams progress while the job runs, then one end event with the finished job, then closes', async (t) => {
  const { url } = await listenTestApp(t, { PROGRESS_INTERVAL_MS: 20 })
  const tasks = 30
  // 30 tasks of 20 ms, 2 at a time: about 300 ms of running, long enough for several progress events.
  const { response: posted, job } = await postJob(url, { workload: 'db', mode: 'async', tasks, concurrency: 2, params: { latencyMs: 20 } })
  assert.equal(posted.status, 202)

  const { response, events } = await readEvents(`${url}${job.links.events}`)
  assert.equal(response.status, 200)
  assert.match(String(response.headers.get('content-type')), /^text\/event-stream/)
  assert.equal(response.headers.get('cache-control'), 'no-cache')

  const names = events.map((event) => event.event)
  assert.ok(names.length >= 2, `at least one progress and the end event: ${names.join(',')}`)
  assert.equal(names.at(-1), 'end', `the last event is end: ${names.join(',')}`)
  assert.equal(names.filter((name) => name === 'end').length, 1, 'exactly one end event')
  assert.ok(names.slice(0, -1).every((name) => name === 'progress'), `only progress events before end: ${names.join(',')}`)

  const progress = events.filter((event) => event.event === 'progress').map((event) => event.data)
  assert.ok(progress.length >= 1, 'at least one progress event')
  progress.forEach((value, index) => assertProgress(value, tasks, `progress event ${index}`))
  const done = (progress as Progress[]).map((value) => value.done)
  for (let i = 1; i < done.length; i++) assert.ok(done[i]! >= done[i - 1]!, `progress never goes back: ${done.join(',')}`)
  assert.ok((progress as Array<{ latest?: unknown }>).some((value) => value.latest), 'progress events while it runs carry the latest series row')
  assert.ok(done.some((value) => value > 0 && value < tasks), `a progress event while running (0 < done < ${tasks}): ${done.join(',')}`)

  const end = events.at(-1)!.data as JobView
  assert.equal(end.id, job.id)
  assert.equal(end.status, 'succeeded')
  assert.deepEqual(end.progress, { done: tasks, failed: 0, total: tasks })
  assert.ok(end.finishedAt, 'finishedAt is set')
  assert.ok(end.report, 'the end event carries the report')
  assert.equal(end.report.tasks.done, tasks)
  assert.ok(end.report.wallMs > 0)

  // The end event is the job as GET /jobs/:id shows it.
  const stored = await getJson<JobView>(url, `/jobs/${job.id}`)
  assert.equal(stored.status, end.status)
  assert.equal(stored.finishedAt, end.finishedAt)
  assert.deepEqual(stored.progress, end.progress)
})

test('GET /jobs/:id/events of a finished job sends the end event at once and closes', async (t) => {
  const { url } = await listenTestApp(t)
  const { job } = await postJob(url, { workload: 'hash', mode: 'inline', tasks: 3, params: { bytes: 64, rounds: 1 } }, '?wait=true')
  assert.equal(job.status, 'succeeded')

  const { response, events, ms } = await readEvents(`${url}${job.links.events}`)
  assert.equal(response.status, 200)
  assert.match(String(response.headers.get('content-type')), /^text\/event-stream/)
  assert.deepEqual(events.map((event) => event.event), ['end'])
  const end = events[0]!.data as JobView
  assert.equal(end.id, job.id)
  assert.equal(end.status, 'succeeded')
  assert.deepEqual(end.progress, { done: 3, failed: 0, total: 3 })
  assert.ok(end.report, 'the end event carries the report')
  assert.ok(ms < 5_000, `answered at once, not after a heartbeat or a timeout (${Math.round(ms)} ms)`)
})

test('POST /jobs?wait=true answers 200 with the finished job and its report', async (t) => {
  const { url } = await listenTestApp(t)
  const tasks = 8
  const { response, job } = await postJob(url, { workload: 'db', mode: 'async', tasks, concurrency: 4, params: { latencyMs: 5 } }, '?wait=true')
  assert.equal(response.status, 200)
  assert.match(String(response.headers['content-type']), /^application\/json/)
  assert.equal(job.status, 'succeeded')
  assert.deepEqual(job.progress, { done: tasks, failed: 0, total: tasks })
  assert.ok(job.startedAt && job.finishedAt, 'started and finished')
  assert.ok(Date.parse(job.finishedAt) >= Date.parse(job.startedAt))
  assert.equal(job.error, null)
  assert.ok(job.report, 'the report is there')
  assert.deepEqual(job.report.tasks, { total: tasks, done: tasks, failed: 0, notRun: 0 })
  assert.ok(job.report.wallMs > 0 && job.report.tasksPerSec > 0)
  assert.equal(job.report.latencyMs?.count, tasks)
  assert.equal(job.spec.workload, 'db')
  assert.equal(job.spec.mode, 'async')
  assert.equal(response.headers.location, `/jobs/${job.id}`)
})

test('POST /jobs without wait answers 202 with id, status and links, and a Location header', async (t) => {
  const { url } = await listenTestApp(t)
  const { response, job } = await postJob(url, { workload: 'hash', mode: 'pool', tasks: 4, concurrency: 2, params: { bytes: 128, rounds: 2 } })
  assert.equal(response.status, 202)
  assert.match(job.id, /^[0-9a-f-]{36}$/)
  assert.ok(job.status === 'queued' || job.status === 'running', `not finished yet: ${job.status}`)
  assert.equal(job.report, null)
  assert.deepEqual(job.links, { self: `/jobs/${job.id}`, events: `/jobs/${job.id}/events` })
  const location = response.headers.location as string
  assert.equal(location, job.links.self)

  // The Location leads to the job, which then finishes.
  let latest: JobView | undefined
  await waitFor(async () => {
    latest = await getJson<JobView>(url, location)
    return latest.status !== 'queued' && latest.status !== 'running'
  }, HTTP_TIMEOUT_MS, 'the submitted job to finish')
  assert.equal(latest?.id, job.id)
  assert.equal(latest?.status, 'succeeded')
  assert.equal(latest?.report?.tasks.done, 4)
})

test('GET /jobs lists newest first and filters by ?status=', async (t) => {
  const { url } = await listenTestApp(t)
  const quick = { workload: 'hash', mode: 'inline', tasks: 2, params: { bytes: 64, rounds: 1 } }
  const first = (await postJob(url, quick, '?wait=true')).job
  const second = (await postJob(url, quick, '?wait=true')).job
  // The third waits long before its first task; cancelling it gives a job of another status.
  const third = (await postJob(url, { ...quick, startDelayMs: 30_000 })).job
  const cancel = await request(url).delete(`/jobs/${third.id}`).timeout(HTTP_TIMEOUT_MS)
  assert.equal(cancel.status, 200, cancel.text)
  assert.equal((cancel.body as JobView).status, 'cancelled')

  const all = await getJson<{ jobs: JobView[] }>(url, '/jobs')
  assert.deepEqual(all.jobs.map((job) => job.id), [third.id, second.id, first.id], 'newest first')
  assert.deepEqual(all.jobs.map((job) => job.status), ['cancelled', 'succeeded', 'succeeded'])

  const succeeded = await getJson<{ jobs: JobView[] }>(url, '/jobs?status=succeeded')
  assert.deepEqual(succeeded.jobs.map((job) => job.id), [second.id, first.id])
  const cancelled = await getJson<{ jobs: JobView[] }>(url, '/jobs?status=cancelled')
  assert.deepEqual(cancelled.jobs.map((job) => job.id), [third.id])
  const running = await getJson<{ jobs: JobView[] }>(url, '/jobs?status=running')
  assert.deepEqual(running.jobs, [])
  const limited = await getJson<{ jobs: JobView[] }>(url, '/jobs?limit=1')
  assert.deepEqual(limited.jobs.map((job) => job.id), [third.id], '?limit keeps the newest')
})

test('GET /jobs/:id with Accept: text/plain gives an aligned table, with text/csv a header and one value row', async (t) => {
  const { url } = await listenTestApp(t)
  const { job } = await postJob(url, { workload: 'db', mode: 'async', tasks: 6, concurrency: 3, params: { latencyMs: 2 } }, '?wait=true')
  assert.equal(job.status, 'succeeded')
  const report = job.report!

  const text = await request(url).get(`/jobs/${job.id}`).set('accept', 'text/plain').timeout(HTTP_TIMEOUT_MS)
  assert.equal(text.status, 200)
  assert.match(String(text.headers['content-type']), /^text\/plain/)
  const table = text.text
  const block = table.split('\n\n')[0]!.split('\n').filter((line) => line !== '')
  // Each line: a label (words with single spaces), two or more spaces, the value; the values start in one column.
  const starts = block.map((line) => {
    const match = /^(\S+(?: \S+)*) {2,}\S/.exec(line)
    assert.ok(match, `a label and a value: '${line}'`)
    return { label: match[1]!, column: match[0].length - 1 }
  })
  assert.equal(new Set(starts.map((start) => start.column)).size, 1, `values aligned in one column:\n${block.join('\n')}`)
  const labels = starts.map((start) => start.label)
  for (const label of ['job', 'status', 'wall', 'throughput']) assert.ok(labels.includes(label), `a '${label}' line:\n${table}`)
  const line = (label: string) => block[labels.indexOf(label)]!
  assert.ok(line('job').includes(job.id))
  const wall = /^wall\s+([\d.]+) ms/.exec(line('wall'))
  assert.ok(wall, `wall line: ${line('wall')}`)
  assert.ok(Math.abs(Number(wall[1]) - report.wallMs) < 0.01, `wall ${wall[1]} is report.wallMs ${report.wallMs}`)
  const throughput = /^throughput\s+([\d.]+) tasks\/s/.exec(line('throughput'))
  assert.ok(throughput, `throughput line: ${line('throughput')}`)
  assert.ok(Math.abs(Number(throughput[1]) - report.tasksPerSec) < 0.01, `throughput ${throughput[1]} is report.tasksPerSec ${report.tasksPerSec}`)

  const csv = await request(url).get(`/jobs/${job.id}`).set('accept', 'text/csv').buffer(true).parse((res, done) => {
    let body = ''
    res.on('data', (chunk: Buffer) => { body += chunk.toString() })
    res.on('end', () => done(null, body))
  }).timeout(HTTP_TIMEOUT_MS)
  assert.equal(csv.status, 200)
  assert.match(String(csv.headers['content-type']), /^text\/csv/)
  const rows = parseCsv(csv.body as string)
  assert.equal(rows.length, 2, `a header row and one value row: ${JSON.stringify(rows)}`)
  const [header, values] = rows as [string[], string[]]
  assert.equal(values.length, header.length, 'as many values as columns')
  assert.equal(new Set(header).size, header.length, 'column names are unique')
  const value = (column: string) => {
    const index = header.indexOf(column)
    assert.ok(index >= 0, `a '${column}' column in ${header.join(',')}`)
    return values[index]!
  }
  assert.equal(value('id'), job.id)
  assert.equal(value('status'), 'succeeded')
  assert.equal(Number(value('report.wallMs')), report.wallMs)
  assert.equal(Number(value('report.tasksPerSec')), report.tasksPerSec)
  assert.equal(Number(value('progress.done')), 6)
})

test('POST /jobs?wait=true answers the finished job in the format Accept asks for: table, CSV or JSON', async (t) => {
  const { url } = await listenTestApp(t)
  const spec = { workload: 'hash', mode: 'pool', tasks: 4, concurrency: 2, params: { rounds: 1 } }
  const text = await request(url).post('/jobs?wait=true').set('accept', 'text/plain').send(spec).timeout(HTTP_TIMEOUT_MS)
  assert.equal(text.status, 200)
  assert.match(String(text.headers['content-type']), /^text\/plain/)
  assert.match(text.text, /^status\s+succeeded$/m)
  assert.match(text.text, /^spec\s+workload=hash mode=pool tasks=4 concurrency=2 batch=auto/m)
  assert.match(text.text, /^throughput\s+[\d.]+ tasks\/s/m)
  const csv = await request(url).post('/jobs?wait=true').set('accept', 'text/csv').send(spec).buffer(true).parse((res, done) => {
    let body = ''
    res.on('data', (chunk: Buffer) => { body += chunk.toString() })
    res.on('end', () => done(null, body))
  }).timeout(HTTP_TIMEOUT_MS)
  assert.equal(csv.status, 200)
  assert.match(String(csv.headers['content-type']), /^text\/csv/)
  const rows = parseCsv(csv.body as string)
  assert.equal(rows.length, 2)
  assert.equal(rows[1]![rows[0]!.indexOf('status')], 'succeeded')
  const json = await request(url).post('/jobs?wait=true').send(spec).timeout(HTTP_TIMEOUT_MS)
  assert.equal(json.status, 200)
  assert.equal(json.body.status, 'succeeded')
  assert.equal(json.body.report.tasks.done, 4)
})
