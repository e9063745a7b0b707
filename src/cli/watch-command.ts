import type { JobView } from '../jobs/job.js'
import { followJob } from './follow-job.js'
import { printJobs, type Streams } from './job-output.js'
import { progressDisplay } from './progress-display.js'
import type { ServiceClient } from './service-client.js'
import type { HistogramKind } from './histogram-chart.js'
import type { OutputFormat } from './table-render.js'
import type { Threshold } from './thresholds.js'

/** `conclab watch <id>`: a job submitted elsewhere (curl, the page, another conclab), followed to its end, then its report. */
export async function watchCommand (client: ServiceClient, id: string, options: { format: OutputFormat, thresholds: Threshold[], quiet: boolean, histogram?: HistogramKind },
  streams: Streams & { stderr: NodeJS.WriteStream }): Promise<number> {
  const job = await client.json<JobView>('GET', `/jobs/${encodeURIComponent(id)}`, `job ${id}`)
  const display = progressDisplay(streams.stderr, { quiet: options.quiet })
  display.start(String(job.spec.mode), job.progress.total)
  let finished: JobView
  try {
    finished = await followJob(client, id, (progress) => display.update(progress))
  } finally {
    display.stop()
  }
  return printJobs([finished], options.format, options.thresholds, streams, { histogram: options.histogram })
}
