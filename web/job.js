/* global AbortController */
// The job panel: starts a job (POST /jobs), follows it over its event stream (a progress bar, live lines from the
// series row each progress event carries), cancels it (DELETE /jobs/:id) and shows its report when it ends.

import { api, streamEvents } from './api.js'
import { clear, seriesChart } from './charts.js'
import { $, shortId } from './dom.js'
import { renderReport } from './report.js'

const FINISHED = new Set(['succeeded', 'failed', 'cancelled'])

export function jobPanel ({ onFinished }) {
  const panel = $('#job')
  const title = $('#job-title')
  const status = $('#job-status')
  const bar = $('#job-progress')
  const barText = $('#job-progress-text')
  const cancel = $('#job-cancel')
  const liveChart = $('#live-chart')
  const result = $('#job-result')
  let current

  const describe = (job) => `${job.spec.workload} in ${job.spec.mode}, ${job.spec.tasks} tasks, concurrency ${job.spec.concurrency}`

  function showProgress (progress) {
    const ended = progress.done + progress.failed
    bar.max = Math.max(1, progress.total)
    bar.value = ended
    barText.textContent = `${ended} of ${progress.total} tasks${progress.failed ? ` (${progress.failed} failed)` : ''}`
  }

  function finish (run, job) {
    if (run.finished) return
    run.finished = true
    run.controller.abort()
    status.textContent = `${job.status}${job.error ? ` — ${job.error.code}: ${job.error.message}` : ''}`
    status.dataset.status = job.status
    showProgress(job.progress)
    cancel.hidden = true
    if (job.report?.series?.length) seriesChart(liveChart, job.report.series)
    renderReport(result, job)
    onFinished?.(job)
  }

  /** Shows `job` in the panel and, while it runs, follows it. */
  function follow (job) {
    if (current && !current.finished) current.controller.abort()
    const run = { id: job.id, controller: new AbortController(), finished: false, rows: new Map() }
    current = run
    panel.hidden = false
    title.textContent = `Job ${shortId(job.id)}: ${describe(job)}`
    title.dataset.jobId = job.id
    status.textContent = job.status
    status.dataset.status = job.status
    showProgress(job.progress)
    clear(liveChart)
    result.replaceChildren()
    if (FINISHED.has(job.status)) {
      finish(run, job)
      return
    }
    cancel.hidden = false
    cancel.disabled = false
    streamEvents(`/jobs/${job.id}/events`, (event, data) => {
      if (run.finished) return
      if (event === 'progress') {
        if (status.dataset.status === 'queued' && (data.done + data.failed > 0 || data.latest)) {
          status.textContent = 'running'
          status.dataset.status = 'running'
        }
        showProgress(data)
        if (data.latest) {
          run.rows.set(data.latest.startMs, data.latest)
          seriesChart(liveChart, [...run.rows.values()].sort((a, b) => a.startMs - b.startMs))
        }
      } else if (event === 'end') {
        finish(run, data)
      }
    }, run.controller.signal).catch((error) => {
      if (!run.finished) status.textContent = `lost the event stream: ${error.message}`
    })
  }

  cancel.addEventListener('click', async () => {
    const run = current
    if (!run || run.finished) return
    cancel.disabled = true
    status.textContent = 'cancelling…'
    try {
      finish(run, await api(`/jobs/${run.id}`, { method: 'DELETE' }))
    } catch (error) {
      // 409: it ended meanwhile; the stream's end event shows it
      if (error.status !== 409) status.textContent = `cancel failed: ${error.message}`
    }
  })

  return {
    follow,
    async start (body) {
      const job = await api('/jobs', { method: 'POST', body })
      follow(job)
      title.focus()
      return job
    },
    async show (id) {
      follow(await api(`/jobs/${id}`))
      panel.scrollIntoView({ block: 'start' })
      title.focus()
    }
  }
}
