/* global window, setTimeout, clearTimeout */
// Charts on uPlot (canvas; ≈ 50 KB, served from the service's node_modules): the live lines of a running job, a
// report's histogram with cumulative percent, overlaid distributions, compare's speedups with the scaling-law fit.

import { ms, num } from './dom.js'

const uPlot = () => window.uPlot
export const COLORS = ['#1f5fbf', '#d9480f', '#2b8a3e', '#862e9c', '#e67700', '#0b7285', '#c2255c', '#5c940d']

const live = new Set()
let resizeTimer
window.addEventListener('resize', () => {
  clearTimeout(resizeTimer)
  resizeTimer = setTimeout(() => { for (const chart of live) chart.setSize({ width: widthOf(chart.root.parentElement), height: chart.height }) }, 100)
})

function widthOf (element) {
  return Math.max(320, Math.min(1040, element.clientWidth || 800))
}

/** Replaces whatever chart `container` held with a new one. */
function mount (container, options, data) {
  clear(container)
  const chart = new (uPlot())({ width: widthOf(container), height: 260, ...options }, data, container)
  container.chart = chart
  live.add(chart)
  return chart
}

export function clear (container) {
  if (container.chart) {
    live.delete(container.chart)
    container.chart.destroy()
    container.chart = undefined
  }
  container.replaceChildren()
}

const msAxis = (label, scale, side = 3) => ({ label, scale, side, values: (_u, splits) => splits.map((v) => (v === null ? '' : num(v))), grid: { show: side === 3 } })

/**
 * The live lines of a running job, from its series rows (progress events' `latest`, then report.series): x = the
 * row's end, s from the window's start; tasks/s on the left axis, p99 response and service time (ms) on the right.
 */
export function seriesChart (container, rows) {
  const data = [
    rows.map((row) => row.endMs / 1000),
    rows.map((row) => row.tasksPerSec),
    rows.map((row) => row.responseP99Ms),
    rows.map((row) => row.latencyP99Ms)
  ]
  if (container.chart && container.chart.kind === 'series') {
    container.chart.setData(data)
    return container.chart
  }
  const chart = mount(container, {
    height: 240,
    scales: { x: { time: false }, tps: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] }, ms: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
    series: [
      { label: 's', value: (_u, v) => (v === null ? '–' : `${num(v)} s`) },
      { label: 'tasks/s', scale: 'tps', stroke: COLORS[0], width: 2, value: (_u, v) => num(v) },
      { label: 'response p99', scale: 'ms', stroke: COLORS[1], width: 2, value: (_u, v) => ms(v) },
      { label: 'service p99', scale: 'ms', stroke: COLORS[2], width: 2, dash: [6, 4], value: (_u, v) => ms(v) }
    ],
    axes: [
      { label: 's since the window opened' },
      { ...msAxis('tasks/s', 'tps'), values: (_u, splits) => splits.map((v) => num(v)) },
      msAxis('ms', 'ms', 1)
    ]
  }, data)
  chart.kind = 'series'
  return chart
}

/** bin k of the report's log-spaced histograms: le = 10^(k/10) ms. */
export const binIndex = (le) => Math.round(10 * Math.log10(le))
const binEdge = (k) => 10 ** (k / 10)

/**
 * A histogram: bars of tasks per bin (x: the bins' upper edges, log-spaced, so the x axis is log), a line of the
 * cumulative percent on the right axis; `log` puts the count axis on a log scale (empty bins then draw nothing).
 */
export function histogramChart (container, bins, { log = false, label = 'tasks' } = {}) {
  const total = bins.reduce((sum, bin) => sum + bin.count, 0)
  let running = 0
  const data = [
    bins.map((bin) => binIndex(bin.le)),
    bins.map((bin) => (log && bin.count === 0 ? null : bin.count)),
    bins.map((bin) => { running += bin.count; return total === 0 ? 0 : (100 * running) / total })
  ]
  const chart = mount(container, {
    scales: {
      x: { time: false, range: (_u, min, max) => [min - 0.6, max + 0.6] },
      count: log ? { distr: 3, log: 10 } : { range: (_u, _min, max) => [0, Math.max(1, max * 1.08)] },
      pct: { range: [0, 100] }
    },
    series: [
      { label: '≤ ms', value: (_u, k) => (k === null ? '–' : ms(binEdge(k))) },
      { label, scale: 'count', stroke: COLORS[0], fill: 'rgba(31, 95, 191, 0.35)', paths: uPlot().paths.bars({ size: [0.92, Infinity], align: 0 }), points: { show: false } },
      { label: 'cumulative %', scale: 'pct', stroke: COLORS[1], width: 2, value: (_u, v) => (v === null ? '–' : `${v.toFixed(1)} %`) }
    ],
    axes: [
      { label: 'ms (bin upper edge, log-spaced)', incrs: [1, 2, 5, 10, 20, 50], values: (_u, splits) => splits.map((k) => ms(binEdge(k))) },
      { label: log ? 'tasks (log)' : 'tasks', scale: 'count' },
      { label: 'cumulative %', scale: 'pct', side: 1, grid: { show: false } }
    ]
  }, data)
  chart.kind = 'histogram'
  return chart
}

/**
 * Distributions of several jobs overlaid as cumulative percent: x = ms (log), y = share of the job's tasks at or
 * under it. `jobs`: [{ label, bins }].
 */
export function cdfChart (container, jobs) {
  const ks = [...new Set(jobs.flatMap((job) => job.bins.map((bin) => binIndex(bin.le))))].sort((a, b) => a - b)
  const lines = jobs.map((job) => {
    const total = job.bins.reduce((sum, bin) => sum + bin.count, 0)
    const counts = new Map(job.bins.map((bin) => [binIndex(bin.le), bin.count]))
    let running = 0
    return ks.map((k) => { running += counts.get(k) ?? 0; return total === 0 ? null : (100 * running) / total })
  })
  const chart = mount(container, {
    scales: { x: { time: false, distr: 3, log: 10 }, pct: { range: [0, 100] } },
    series: [
      { label: '≤ ms', value: (_u, v) => ms(v) },
      ...jobs.map((job, i) => ({ label: job.label, scale: 'pct', stroke: COLORS[i % COLORS.length], width: 2, value: (_u, v) => (v === null ? '–' : `${v.toFixed(1)} %`) }))
    ],
    axes: [
      { label: 'response time, ms (log)', values: (_u, splits) => splits.map((v) => ms(v)) },
      { label: '% of tasks', scale: 'pct' }
    ]
  }, [ks.map(binEdge), ...lines])
  chart.kind = 'cdf'
  return chart
}

/** The Universal Scalability Law: X(N) = λN / (1 + σ(N−1) + κN(N−1)). */
export const usl = (fit, n) => (fit.lambda * n) / (1 + fit.sigma * (n - 1) + fit.kappa * n * (n - 1))

/**
 * Compare's answer: measured speedup (against the inline baseline) over N per mode as points, the ideal line
 * speedup = N, and each fitted mode's USL curve as speedup = X(N) ÷ the baseline's tasks/s.
 */
export function speedupChart (container, answer) {
  const baseline = answer.rows.find((row) => row.baseline)
  const base = baseline?.tasksPerSec ?? null
  const fits = new Map((answer.scaling ?? []).filter((fit) => fit.fitted).map((fit) => [fit.mode, fit]))
  const modes = [...new Set(answer.rows.filter((row) => !row.baseline && row.speedup !== null).map((row) => row.mode))]
  const nOf = (row) => (fits.get(row.mode)?.over === 'concurrency' ? row.concurrency : row.workers)
  const measuredN = answer.rows.filter((row) => row.speedup !== null).map(nOf)
  const largest = Math.max(1, ...measuredN)
  // A predicted peak is drawn when it is within 3× the largest N measured (beyond, the curve is a guess).
  const peaks = [...fits.values()].map((fit) => fit.peakN).filter((peak) => peak !== null && peak <= 3 * largest)
  const maxN = Math.max(2, largest, ...peaks) * 1.1
  // One x grid for points and curves: the measured N and a fine grid for the curves.
  const grid = new Set([...measuredN, ...peaks])
  for (let n = 1; n <= maxN + 1e-9; n += maxN / 120) grid.add(Math.round(n * 1000) / 1000)
  const xs = [...grid].sort((a, b) => a - b)
  const series = [{ label: 'N', value: (_u, v) => num(v) }]
  const data = [xs]
  series.push({ label: 'ideal (speedup = N)', stroke: '#888', dash: [4, 4], width: 1, points: { show: false } })
  data.push(xs.map((n) => n))
  modes.forEach((mode, i) => {
    const color = COLORS[i % COLORS.length]
    const byN = new Map()
    for (const row of answer.rows.filter((r) => r.mode === mode && !r.baseline && r.speedup !== null)) byN.set(nOf(row), Math.max(byN.get(nOf(row)) ?? 0, row.speedup))
    series.push({ label: `${mode} measured`, stroke: color, width: 0, paths: () => null, points: { show: true, size: 9, fill: color, stroke: color } })
    data.push(xs.map((n) => byN.get(n) ?? null))
    const fit = fits.get(mode)
    if (fit && base) {
      series.push({ label: `${mode} USL fit`, stroke: color, width: 2, points: { show: false }, spanGaps: true })
      data.push(xs.map((n) => usl(fit, n) / base))
      if (fit.peakN !== null && peaks.includes(fit.peakN)) {
        series.push({ label: `${mode} predicted peak N* ${num(fit.peakN)}`, stroke: color, width: 0, paths: () => null, points: { show: true, size: 14, fill: '#fff', stroke: color, width: 3 } })
        data.push(xs.map((n) => (n === fit.peakN ? usl(fit, n) / base : null)))
      }
    }
  })
  const chart = mount(container, {
    height: 300,
    scales: { x: { time: false, range: (_u, _min, max) => [0, max] }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
    series,
    axes: [{ label: 'N: workers (threads, processes, pool threads) or tasks in flight (async)' }, { label: 'speedup vs inline ×1' }]
  }, data)
  chart.kind = 'speedup'
  return chart
}
