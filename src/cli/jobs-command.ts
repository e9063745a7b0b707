import type { JobView } from '../jobs/job.js'
import type { Streams } from './job-output.js'
import { fixed, ms } from './number-format.js'
import type { ServiceClient } from './service-client.js'
import { renderTable, type OutputFormat, type TableModel } from './table-render.js'

/** `conclab jobs`: GET /jobs (newest first) as a table; `--json` prints the service's answer. */
export function jobsModel (jobs: JobView[]): TableModel {
  return {
    head: ['id', 'status', 'workload', 'mode', 'tasks', 'conc', 'failed', 'tasks/s', 'p99', 'created (UTC)'],
    align: ['left', 'left', 'left', 'left'],
    compact: true,
    rows: jobs.map((job) => [
      job.id, job.status, String(job.spec.workload), String(job.spec.mode), String(job.spec.tasks), String(job.spec.concurrency),
      String(job.progress.failed), job.report ? fixed(job.report.tasksPerSec) : '-', ms(job.report?.latencyMs?.p99),
      job.createdAt.replace('T', ' ').replace(/\.\d+Z$/, '')
    ])
  }
}

export async function jobsCommand (client: ServiceClient, options: { format: OutputFormat, status?: string, limit?: number }, { stdout }: Streams): Promise<number> {
  const query = new URLSearchParams()
  if (options.status) query.set('status', options.status)
  if (options.limit !== undefined) query.set('limit', String(options.limit))
  const search = query.toString()
  const path = `/jobs${search ? `?${search}` : ''}`
  const answer = await client.json<{ jobs: JobView[] }>('GET', path, 'jobs')
  if (options.format === 'json') stdout.write(`${JSON.stringify(answer)}\n`)
  else if (answer.jobs.length === 0 && options.format === 'table') stdout.write('no jobs\n')
  else stdout.write(`${renderTable(jobsModel(answer.jobs), options.format)}\n`)
  return 0
}
