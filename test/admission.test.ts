import assert from 'node:assert/strict'
import { test } from 'node:test'
import { buildTestApp, getJob, listenTestApp, submitJob, waitFor } from './support/app.js'

/** Issue 11, item 6: one budget for what takes cores; over it 429 or 503 with Retry-After, never an unbounded queue. */

const slowJob = { workload: 'db', mode: 'async', tasks: 4, concurrency: 1, params: { latencyMs: 150 } }
const raceLab = { workers: 2, increments: 1000, strategies: ['atomic'] }

test('a lab run while a job holds the run slot is 429 CORES_BUSY naming the job; after it the lab runs', async (t) => {
  const app = await buildTestApp(t)
  const job = await submitJob(app, slowJob)
  await waitFor(async () => (await getJob(app, job.id)).status === 'running')
  const busy = await app.inject({ method: 'POST', url: '/labs/race', payload: raceLab })
  assert.equal(busy.statusCode, 429)
  assert.equal(busy.json().code, 'CORES_BUSY')
  assert.match(busy.json().message, new RegExp(`^the cores are busy with job ${job.id} \\(MAX_RUNNING_JOBS`))
  assert.ok(Number(busy.headers['retry-after']) >= 1, `Retry-After ${busy.headers['retry-after']}`)
  await app.lab.scheduler.get(job.id).ended()
  assert.equal((await app.inject({ method: 'POST', url: '/labs/race', payload: raceLab })).statusCode, 200)
})

test('a job submitted while a lab runs waits in the queue and starts when the lab has answered', async (t) => {
  const app = await buildTestApp(t)
  // The seed's record update with a lock: 2 workers × 10 updates × 10 ms one after another ≈ 200 ms.
  const lab = app.inject({ method: 'POST', url: '/labs/race', payload: { ...raceLab, record: { workers: 2, updates: 10, delayMs: 10 } } })
  await waitFor(() => app.lab.admission.runs.free === 0, 5000, 'the lab to hold the slot')
  const job = await submitJob(app, { ...slowJob, tasks: 1 })
  assert.equal((await getJob(app, job.id)).status, 'queued', 'the job waits for the lab')
  const answered = await lab
  assert.equal(answered.statusCode, 200)
  await app.lab.scheduler.get(job.id).ended()
  assert.equal((await getJob(app, job.id)).status, 'succeeded')
  const started = Date.parse((await getJob(app, job.id)).startedAt!)
  assert.ok(Number.isFinite(started))
})

test('one compare experiment at a time: a second is 429 LAB_BUSY with Retry-After', async (t) => {
  const { url } = await listenTestApp(t)
  const compare = { workload: 'db', tasks: 8, modes: ['async'], concurrency: [2], params: { latencyMs: 100 } }
  const post = () => fetch(`${url}/experiments/compare`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(compare) })
  const first = post()
  await new Promise((resolve) => setTimeout(resolve, 100))
  const second = await post()
  assert.equal(second.status, 429)
  assert.equal((await second.json() as { code: string }).code, 'LAB_BUSY')
  assert.ok(Number(second.headers.get('retry-after')) >= 1)
  assert.equal((await first).status, 200)
})

test('GET /work over MAX_WORK_IN_FLIGHT is 503 WORK_BUSY with Retry-After; a timer fire over it fails saying so', async (t) => {
  const { app, url } = await listenTestApp(t, { MAX_WORK_IN_FLIGHT: 2 })
  const slow = () => fetch(`${url}/work/db?mode=async&latencyMs=300`)
  const answers = await Promise.all([slow(), slow(), (async () => {
    await new Promise((resolve) => setTimeout(resolve, 100))
    return fetch(`${url}/work/db?mode=async&latencyMs=1`)
  })()])
  assert.deepEqual(answers.map((answer) => answer.status), [200, 200, 503])
  const refused = await answers[2]!.json() as { code: string, message: string }
  assert.equal(refused.code, 'WORK_BUSY')
  assert.equal(refused.message, '2 single tasks are in flight (MAX_WORK_IN_FLIGHT: GET /work requests and timer fires); retry shortly')
  assert.equal(answers[2]!.headers.get('retry-after'), '1')
  assert.equal(app.lab.admission.tasks.inFlight, 0, 'every slot is given back')

  // Both slots held by /work: a timer that fires meanwhile records the refusal as its fire's result.
  const held = [slow(), slow()]
  await new Promise((resolve) => setTimeout(resolve, 50))
  const timer = await (await fetch(`${url}/timers`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ delayMs: 0, task: { workload: 'db', params: { latencyMs: 1 } } }) })).json() as { id: string }
  await waitFor(async () => (await (await fetch(`${url}/timers/${timer.id}`)).json() as { state: string }).state === 'done', 5000, 'the timer to fire')
  const fired = await (await fetch(`${url}/timers/${timer.id}`)).json() as { lastResult: { ok: boolean, error: string } }
  assert.equal(fired.lastResult.ok, false)
  assert.match(fired.lastResult.error, /MAX_WORK_IN_FLIGHT/)
  await Promise.all(held)
})

test('a GET /work client that disconnects takes its task with it: dropped from the pool queue, its slot freed', async (t) => {
  const { app, url } = await listenTestApp(t, { POOL_SIZE: 1 })
  const running = fetch(`${url}/work/db?mode=pool&latencyMs=600`)
  await waitFor(() => app.lab.admission.tasks.inFlight === 1, 5000, 'the first task to run')
  const client = new AbortController()
  const queued = fetch(`${url}/work/db?mode=pool&latencyMs=600`, { signal: client.signal }).catch((error: Error) => error.name)
  await waitFor(() => app.lab.pool.queueSize === 1, 5000, 'the second to queue behind it')
  client.abort()
  assert.equal(await queued, 'AbortError')
  await waitFor(() => app.lab.pool.queueSize === 0 && app.lab.admission.tasks.inFlight === 1, 2000, 'the queued task dropped and its slot freed')
  assert.equal((await running).status, 200, 'the task of the client that stayed is answered')
})
