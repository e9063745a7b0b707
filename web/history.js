// History: recent jobs (GET /jobs) in a table; pick two or more to overlay their response-time distributions and
// read which was faster, hyperfine's way ("A was 1.9× faster than B", from tasks/s).

import { api } from './api.js'
import { cdfChart } from './charts.js'
import { $, el, ms, num, shortId } from './dom.js'

const label = (job) => `${shortId(job.id)} ${job.spec.mode} ×${job.spec.concurrency}`

/** "A was N× faster than B" for the fastest against each other job (tasks/s; jobs without a rate are left out). */
export function verdicts (jobs) {
  const rated = jobs.filter((job) => job.report && job.report.tasksPerSec > 0).sort((a, b) => b.report.tasksPerSec - a.report.tasksPerSec)
  if (rated.length < 2) return ['Pick two or more jobs that finished with a throughput.']
  const [fastest, ...others] = rated
  return others.map((other) => {
    const ratio = fastest.report.tasksPerSec / other.report.tasksPerSec
    return `${label(fastest)} was ${ratio.toFixed(2)}× faster than ${label(other)} (${num(fastest.report.tasksPerSec)} vs ${num(other.report.tasksPerSec)} tasks/s)`
  })
}

export function historyPanel ({ onShow }) {
  const body = $('#history-table tbody')
  const overlayButton = $('#history-overlay')
  const overlay = $('#overlay')
  const verdictList = $('#overlay-verdict')
  const chart = $('#overlay-chart')
  let jobs = []
  const picked = new Set()

  const updateButton = () => {
    overlayButton.disabled = picked.size < 2
    overlayButton.textContent = `Overlay selected (${picked.size})`
  }

  function row (job) {
    const id = `pick-${job.id}`
    const box = el('input', { type: 'checkbox', id, checked: picked.has(job.id), disabled: !job.report, 'aria-label': `pick job ${shortId(job.id)}` })
    box.addEventListener('change', () => {
      if (box.checked) picked.add(job.id)
      else picked.delete(job.id)
      box.closest('tr').classList.toggle('selected', box.checked)
      updateButton()
    })
    const show = el('button', { type: 'button', class: 'link', onclick: () => onShow(job.id), 'aria-label': `show job ${shortId(job.id)}` }, shortId(job.id))
    return el('tr', { class: picked.has(job.id) ? 'selected' : undefined, 'data-job-id': job.id },
      el('td', {}, box), el('td', {}, show), el('td', {}, job.status), el('td', {}, job.spec.workload), el('td', {}, job.spec.mode),
      el('td', { class: 'num' }, String(job.spec.tasks)), el('td', { class: 'num' }, String(job.spec.concurrency)),
      el('td', { class: 'num' }, job.report ? num(job.report.tasksPerSec) : '–'),
      el('td', { class: 'num' }, job.report?.responseMs ? ms(job.report.responseMs.p99) : '–'),
      el('td', {}, new Date(job.createdAt).toLocaleTimeString()))
  }

  async function refresh () {
    jobs = (await api('/jobs?limit=50')).jobs
    for (const id of picked) if (!jobs.some((job) => job.id === id)) picked.delete(id)
    body.replaceChildren(...(jobs.length ? jobs.map(row) : [el('tr', {}, el('td', { colspan: 10, class: 'muted' }, 'no jobs yet'))]))
    updateButton()
  }

  overlayButton.addEventListener('click', () => {
    const chosen = jobs.filter((job) => picked.has(job.id) && job.report)
    overlay.hidden = false
    verdictList.replaceChildren(...verdicts(chosen).map((text) => el('li', {}, text)))
    const withBins = chosen.filter((job) => job.report.histograms?.responseMs?.length)
    if (withBins.length) cdfChart(chart, withBins.map((job) => ({ label: label(job), bins: job.report.histograms.responseMs })))
  })
  $('#history-refresh').addEventListener('click', () => { refresh().catch(() => {}) })
  updateButton()
  return { refresh }
}
