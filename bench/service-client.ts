/** The few calls the benchmarks make to a running service, over real HTTP (what a user's curl does). */
import type { JobView } from '../src/jobs/job.js'
import type { Report } from '../src/jobs/report-schema.js'

export type { Report }

/** POST /jobs?wait=true; fails unless the job succeeded with every task done. */
export async function runJob (url: string, spec: Record<string, unknown>): Promise<Report> {
  const response = await fetch(`${url}/jobs?wait=true`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(spec)
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

/** Milliseconds one GET takes, with its body read. */
export async function timeGet (url: string): Promise<number> {
  const started = performance.now()
  const response = await fetch(url)
  await response.arrayBuffer()
  if (!response.ok) throw new Error(`GET ${url}: ${response.status}`)
  return performance.now() - started
}
