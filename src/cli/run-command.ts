import type { JobView } from '../jobs/job.js'
import { EXIT, usageError } from './cli-error.js'
import { followJob } from './follow-job.js'
import { jobSpec, type SpecOptions } from './job-spec.js'
import { printJobs, type Streams } from './job-output.js'
import { progressDisplay } from './progress-display.js'
import type { ServiceClient } from './service-client.js'
import type { HistogramKind } from './histogram-chart.js'
import type { OutputFormat } from './table-render.js'
import type { Threshold } from './thresholds.js'

export interface RunOptions extends SpecOptions {
  mode: string[]
  format: OutputFormat
  thresholds: Threshold[]
  quiet: boolean
  histogram?: HistogramKind
}

interface ServiceInfo { modes?: string[], unavailableModes?: Record<string, string> }

/**
 * `conclab run`: one job per mode, one after another (each submitted when the one before has ended, so they never
 * share the cores), each followed to its end with a progress display, then every report and the comparison.
 * Ctrl-C cancels the job running (DELETE /jobs/:id) and exits 130.
 */
export async function runCommand (client: ServiceClient, options: RunOptions, streams: Streams & { stderr: NodeJS.WriteStream }): Promise<number> {
  // A mode the service does not know, or cannot run in this configuration (cluster without REDIS_URL), goes first:
  // its 400 (the service's own message) comes before any job runs.
  const info = await client.json<ServiceInfo>('GET', '/', 'GET /')
  const known = (mode: string) => (info.modes?.includes(mode) ?? true) && !(mode in (info.unavailableModes ?? {}))
  const modes = [...options.mode.filter((mode) => !known(mode)), ...options.mode.filter(known)]

  const display = progressDisplay(streams.stderr, { quiet: options.quiet })
  const interrupt = new AbortController()
  let running: string | undefined
  const onSigint = () => interrupt.abort()
  process.once('SIGINT', onSigint)
  const jobs: JobView[] = []
  try {
    for (const mode of modes) {
      const submitted = await client.json<JobView>('POST', '/jobs', `mode ${mode}`, { body: jobSpec(options, mode) })
      running = submitted.id
      display.start(mode, submitted.progress.total)
      try {
        jobs.push(await followJob(client, submitted.id, (progress) => display.update(progress), interrupt.signal))
      } finally {
        display.stop()
      }
      running = undefined
    }
  } catch (error) {
    if (!interrupt.signal.aborted) throw error
    if (running) await client.answer('DELETE', `/jobs/${encodeURIComponent(running)}`)
    streams.stderr.write(`conclab: interrupted${running ? `; cancelled job ${running}` : ''}\n`)
    return EXIT.interrupted
  } finally {
    process.off('SIGINT', onSigint)
  }
  if (jobs.length === 0) throw usageError('no mode to run')
  return printJobs(jobs, options.format, options.thresholds, streams, { histogram: options.histogram })
}
