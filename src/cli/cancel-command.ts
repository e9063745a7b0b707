import type { JobView } from '../jobs/job.js'
import type { Streams } from './job-output.js'
import type { ServiceClient } from './service-client.js'
import type { OutputFormat } from './table-render.js'

/** `conclab cancel <id>`: DELETE /jobs/:id, which answers once the job has stopped, with its partial report. */
export async function cancelCommand (client: ServiceClient, id: string, options: { format: OutputFormat }, { stdout }: Streams): Promise<number> {
  const job = await client.json<JobView>('DELETE', `/jobs/${encodeURIComponent(id)}`, `cancel ${id}`)
  if (options.format === 'json') stdout.write(`${JSON.stringify(job)}\n`)
  else stdout.write(`cancelled ${String(job.spec.mode)} job ${job.id}: ${job.progress.done} of ${job.progress.total} tasks done, ${job.progress.failed} failed\n`)
  return 0
}
