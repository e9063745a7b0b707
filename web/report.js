// A finished job's report as a page: the summary figures, the latency histogram with cumulative percent (and a log
// toggle), CPU busy per core, per-worker and per-replica bars (fairness), links to the JSON, CSV, Swagger, Grafana.

import { download } from './api.js'
import { histogramChart } from './charts.js'
import { bars, el, fill, ms, num, pct, shortId } from './dom.js'

export const GRAFANA_URL = 'http://localhost:3001/d/concurrency-lab'

const figure = (term, value, note) => el('dl', { class: 'figure' }, el('dt', {}, term), el('dd', {}, value, note ? el('small', {}, ` ${note}`) : undefined))

function summary (job) {
  const report = job.report
  const response = report.responseMs
  const service = report.latencyMs
  const errors = report.tasks.failed
  return el('div', { class: 'figures', id: 'job-figures' },
    figure('throughput', num(report.tasksPerSec), 'tasks/s'),
    figure('tasks', `${report.tasks.done} done`, `${errors} failed, ${report.tasks.notRun} not run`),
    figure('response p50 / p99', response ? `${ms(response.p50)} / ${ms(response.p99)}` : '–'),
    figure('response max', ms(response?.max)),
    figure('service p50 / p99', service ? `${ms(service.p50)} / ${ms(service.p99)}` : '–'),
    figure('service max', ms(service?.max)),
    figure('errors', String(errors), report.errorsOmitted ? `(+${report.errorsOmitted} not listed)` : ''),
    figure('start-up', ms(report.startupMs), report.teardownMs ? `join ${ms(report.teardownMs)}` : ''),
    figure('wall', ms(report.wallMs)),
    figure('CPU used', `${num(report.cpu.coresUsed)} cores`, `of ${num(report.cpu.capacity)} (${pct(report.cpu.utilization)})`),
    figure('event loop p99 delay', ms(report.eventLoop.delayP99Ms), `busy ${pct(report.eventLoop.utilization)}`)
  )
}

function histogram (report) {
  const holder = el('div', { class: 'chart', id: 'histogram-chart', role: 'img', 'aria-label': 'latency histogram with cumulative percent' })
  const which = el('select', { id: 'histogram-which' },
    el('option', { value: 'responseMs' }, 'response time (due → end)'),
    el('option', { value: 'latencyMs' }, 'service time (start → end)'))
  const log = el('input', { type: 'checkbox', id: 'histogram-log' })
  const draw = () => {
    const bins = report.histograms?.[which.value] ?? []
    if (bins.length === 0) holder.replaceChildren(el('p', { class: 'muted' }, 'no task reported a time'))
    else histogramChart(holder, bins, { log: log.checked, label: which.value === 'responseMs' ? 'tasks (response)' : 'tasks (service)' })
  }
  which.addEventListener('change', draw)
  log.addEventListener('change', draw)
  const section = el('div', {},
    el('h3', {}, 'Latency histogram'),
    el('div', { class: 'actions' },
      el('label', { for: 'histogram-which' }, 'Distribution'), which,
      el('span', { class: 'field check' }, log, el('label', { for: 'histogram-log' }, 'Log-scale count axis'))),
    el('figure', {}, holder, el('figcaption', {}, 'Tasks per bin (10 bins per power of ten of ms) and the cumulative percent of tasks at or under each bin\'s edge.')))
  return { section, draw }
}

function cores (report) {
  return el('div', {},
    el('h3', {}, 'CPU busy per core'),
    el('p', { class: 'hint' }, 'Every process on the core counts (/proc/stat), the service\'s and its neighbours\'.'),
    bars(report.cpu.perCore.map((core) => ({
      label: `core ${core.core}`,
      share: core.busy,
      text: `${pct(core.busy)}${core.steal > 0.005 ? `, steal ${pct(core.steal)}` : ''}`
    })), 'CPU busy per core'))
}

function workers (report) {
  const most = Math.max(1, ...report.workers.map((worker) => worker.tasks))
  return el('div', {},
    el('h3', {}, 'Per worker (fairness)'),
    el('p', { class: 'hint' }, 'Tasks each worker ran; busy = summed run time ÷ wall (above 100 % when tasks overlap on one worker, as in async).'),
    bars(report.workers.map((worker) => ({
      label: worker.worker,
      share: worker.tasks / most,
      text: `${worker.tasks} tasks, busy ${pct(worker.utilization)}`
    })), 'tasks per worker'))
}

function replicas (report) {
  if (!report.byReplica?.length) return undefined
  const most = Math.max(1, ...report.byReplica.map((replica) => replica.tasks))
  return el('div', {},
    el('h3', {}, 'Per replica'),
    bars(report.byReplica.map((replica) => ({
      label: replica.replica,
      share: replica.tasks / most,
      text: `${replica.tasks} tasks in ${replica.slices} slices${replica.retried ? ` (${replica.retried} retried)` : ''}, ${num(replica.tasksPerSec)}/s, ${num(replica.cpu.coresUsed)} cores`
    })), 'tasks per replica'))
}

function links (job) {
  const id = job.id
  const fetchAs = (accept, name) => (event) => {
    event.preventDefault()
    download(`/jobs/${id}`, accept, name).catch((error) => { event.target.textContent += ` (failed: ${error.message})` })
  }
  return el('p', { class: 'links' },
    el('a', { href: `/jobs/${id}`, id: 'link-json', onclick: fetchAs('application/json', `job-${shortId(id)}.json`) }, 'JSON'),
    el('a', { href: `/jobs/${id}`, id: 'link-csv', onclick: fetchAs('text/csv', `job-${shortId(id)}.csv`) }, 'CSV'),
    el('a', { href: '/docs' }, 'Swagger'),
    el('a', { href: GRAFANA_URL, rel: 'noopener' }, 'Grafana (docker compose up)'))
}

/** Renders job's report into `container`; charts are drawn once the section is in the page (they need its width). */
export function renderReport (container, job) {
  const report = job.report
  if (!report) {
    container.replaceChildren(el('p', { class: 'muted' }, job.error ? `${job.error.code}: ${job.error.message} (no report)` : 'no report'))
    return
  }
  const chart = histogram(report)
  fill(container,
    job.error ? el('p', { class: 'error' }, `${job.error.code}: ${job.error.message}`) : undefined,
    summary(job),
    report.warnings.length ? el('ul', { class: 'warnings' }, report.warnings.map((warning) => el('li', {}, warning))) : undefined,
    chart.section,
    cores(report),
    workers(report),
    replicas(report),
    report.errors.length ? el('details', {}, el('summary', {}, `First ${report.errors.length} task errors`), el('pre', {}, report.errors.map((e) => `#${e.index} ${e.worker}: ${e.message}`).join('\n'))) : undefined,
    links(job)
  )
  chart.draw()
}
