/** The few calls the benchmarks make to a running service, over real HTTP (what a user's curl does). */
import type { JobView } from '../src/jobs/job.js'
import { compareWarmup } from '../src/labs/compare-schema.js'
import type { Report } from '../src/measure/report-schema.js'

export type { Report }

/**
 * POST /jobs?wait=true; fails unless the job succeeded with every task done. Each job warms up first as compare's
 * runs do (2 × concurrency tasks, inside the job's own workers for threads and processes) unless its spec says otherwise.
 */
export async function runJob (url: string, spec: Record<string, unknown>): Promise<Report> {
  const warmup = compareWarmup(Number(spec.concurrency ?? 1), Number(spec.tasks ?? 1))
  const response = await fetch(`${url}/jobs?wait=true`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ warmup, ...spec })
  })
  const body = await response.json() as JobView
  if (response.status !== 200 || body.status !== 'succeeded' || !body.report) {
    throw new Error(`job ${JSON.stringify(spec)} answered ${response.status}: ${JSON.stringify(body).slice(0, 500)}`)
  }
  if (body.report.tasks.done !== body.report.tasks.total) {
    throw new Error(`job ${JSON.stringify(spec)}: ${body.report.tasks.done} of ${body.report.tasks.total} tasks done`)
  }
  return body.report
}

/** POST /jobs (no wait) and the job's id once it runs — not merely queued. */
export async function startRunningJob (url: string, spec: Record<string, unknown>): Promise<string> {
  const response = await fetch(`${url}/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(spec) })
  const body = await response.json() as { id: string }
  if (response.status !== 202) throw new Error(`POST /jobs answered ${response.status}: ${JSON.stringify(body)}`)
  for (;;) {
    const job = await (await fetch(`${url}/jobs/${body.id}`)).json() as { status: string }
    if (job.status === 'running') return body.id
    if (job.status !== 'queued') throw new Error(`job ${body.id} is ${job.status} before the load started`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** DELETE /jobs/:id. */
export async function cancelJob (url: string, id: string): Promise<void> {
  await (await fetch(`${url}/jobs/${id}`, { method: 'DELETE' })).arrayBuffer()
}

/** Milliseconds one GET takes, with its body read. */
export async function timeGet (url: string): Promise<number> {
  const started = performance.now()
  const response = await fetch(url)
  await response.arrayBuffer()
  if (!response.ok) throw new Error(`GET ${url}: ${response.status}`)
  return performance.now() - started
}
