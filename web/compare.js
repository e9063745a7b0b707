// The compare experiment (POST /experiments/compare): a small form, then speedup against N per mode with the ideal
// line and each mode's Universal Scalability Law fit and its predicted peak (docs/experiments.md); with cpython ticked,
// CPython's start-up and hash runs beside them (compare-cpython.js).

import { api } from './api.js'
import { speedupChart } from './charts.js'
import { el, fill, ms, num, pct } from './dom.js'
import { field, objectFields, paramsByWorkload } from './form.js'
import { compareCpython } from './compare-cpython.js'

const ERR = (error) => `${error.code ?? 'ERROR'}: ${error.message}`

export function comparePanel (form, result, { openapi, info, onDone }) {
  const schema = openapi.paths['/experiments/compare']?.post?.requestBody?.content?.['application/json']?.schema
  if (!schema) {
    form.replaceChildren(el('p', { class: 'muted' }, 'this service has no compare route'))
    return
  }
  const properties = schema.properties
  const params = paramsByWorkload(schema)
  const jobParams = paramsByWorkload(openapi.paths['/jobs'].post.requestBody.content['application/json'].schema)
  const workload = field('workload', properties.workload, { required: true, idPrefix: 'cmp' })
  const tasks = field('tasks', properties.tasks, { idPrefix: 'cmp', value: 200 })
  // After the Node runs, python/compare.py on CPython (absent from a service without the field).
  const cpython = properties.cpython ? field('cpython', properties.cpython, { idPrefix: 'cmp' }) : undefined
  const modeNames = properties.modes?.items?.enum ?? info.modes
  const unavailable = info.unavailableModes ?? {}
  const boxes = modeNames.map((mode) => {
    const id = `cmp-mode-${mode}`
    const box = el('input', { type: 'checkbox', id, value: mode, checked: !(mode in unavailable) && mode !== 'inline', disabled: mode in unavailable })
    return { mode, box, element: el('span', { class: 'field check' }, box, el('label', { for: id, title: unavailable[mode] }, mode in unavailable ? `${mode} (unavailable)` : mode)) }
  })
  const levels = el('input', { id: 'cmp-concurrency', type: 'text', value: `1, 2, ${Math.max(3, info.cores)}`, pattern: '\\s*\\d+(\\s*,\\s*\\d+)*\\s*', 'aria-describedby': 'cmp-concurrency-hint' })
  const paramsHolder = el('div')
  let paramsFields
  const showParams = () => {
    paramsFields = objectFields(`params of ${workload.input.value}`, params[workload.input.value] ?? jobParams[workload.input.value] ?? { properties: {} }, { idPrefix: 'cmp-params', namePrefix: 'params.' })
    paramsHolder.replaceChildren(paramsFields.element)
  }
  const status = el('span', { id: 'compare-status', role: 'status' })
  const submit = el('button', { type: 'submit', id: 'compare-submit' }, 'Run compare')
  form.replaceChildren(
    el('div', { class: 'fields' }, workload.element, tasks.element,
      el('div', { class: 'field' }, el('label', { for: 'cmp-concurrency' }, 'concurrency levels'), levels,
        el('small', { id: 'cmp-concurrency-hint' }, `comma-separated; at most ${info.limits?.MAX_COMPARE_RUNS ?? '?'} runs (MAX_COMPARE_RUNS)`))),
    el('fieldset', {}, el('legend', {}, 'modes (inline ×1 is always the baseline)'), el('div', { class: 'actions' }, boxes.map((box) => box.element))),
    paramsHolder,
    cpython?.element,
    el('div', { class: 'actions' }, submit, status))
  workload.input.addEventListener('change', showParams)
  showParams()

  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    const body = { workload: workload.input.value }
    const taskCount = tasks.read()
    if (taskCount !== undefined) body.tasks = taskCount
    const modes = boxes.filter((box) => box.box.checked).map((box) => box.mode)
    if (modes.length) body.modes = modes
    const concurrency = levels.value.split(',').map((part) => Number(part.trim())).filter((n) => Number.isInteger(n) && n > 0)
    if (concurrency.length) body.concurrency = [...new Set(concurrency)]
    const paramValues = paramsFields.read()
    if (paramValues) body.params = paramValues
    if (cpython?.read()) body.cpython = true
    submit.disabled = true
    status.textContent = `running every mode at every level, one job after another${body.cpython ? ', then CPython' : ''}…`
    const started = Date.now()
    try {
      const answer = await api('/experiments/compare', { method: 'POST', body })
      status.textContent = `done in ${ms(Date.now() - started)}`
      render(result, answer)
      onDone?.()
    } catch (error) {
      status.textContent = ERR(error)
    } finally {
      submit.disabled = false
    }
  })
}

function render (container, answer) {
  const chart = el('div', { class: 'chart', id: 'compare-chart', role: 'img', 'aria-label': 'speedup against N per mode, the ideal line and the scaling-law fits' })
  const fits = (answer.scaling ?? []).map((fit) => el('li', {}, `${fit.mode}: `, fit.fitted
    ? `${fit.reading} (λ ${num(fit.lambda)} tasks/s, σ ${fit.sigma.toFixed(3)}, κ ${fit.kappa.toFixed(4)}${fit.peakN ? `, predicted peak N* ${num(fit.peakN)} at ${num(fit.peakTasksPerSec)} tasks/s` : ''}, R² ${fit.r2 === null ? '–' : fit.r2.toFixed(3)})`
    : `not fitted: ${fit.reason}`))
  const rows = answer.rows.map((row) => el('tr', {},
    el('td', {}, row.mode + (row.baseline ? ' *' : '')), el('td', { class: 'num' }, String(row.concurrency)), el('td', { class: 'num' }, String(row.workers)),
    el('td', { class: 'num' }, num(row.tasksPerSec)), el('td', { class: 'num' }, row.speedup === null ? '–' : row.speedup.toFixed(2)),
    el('td', { class: 'num' }, row.efficiency === null ? '–' : row.efficiency.toFixed(2)), el('td', { class: 'num' }, pct(row.cpuUtilization)),
    el('td', { class: 'num' }, ms(row.startupMs)), el('td', {}, row.status)))
  fill(container,
    el('h3', {}, 'Speedup against N'),
    el('figure', {}, chart, el('figcaption', {}, 'Points: measured speedup against inline ×1 (baseline wall ÷ wall). Dashed: ideal (speedup = N). Lines: each mode\'s USL fit, X(N) = λN / (1 + σ(N−1) + κN(N−1)), ÷ the baseline\'s tasks/s.')),
    el('ul', { id: 'compare-fits' }, fits),
    el('div', { class: 'table-wrap' }, el('table', {},
      el('thead', {}, el('tr', {}, ['mode', 'conc.', 'workers', 'tasks/s', 'speedup', 'efficiency', 'CPU', 'start-up', 'status'].map((name) => el('th', { scope: 'col' }, name)))),
      el('tbody', {}, rows))),
    answer.skipped?.length ? el('details', {}, el('summary', {}, `${answer.skipped.length} combinations skipped`), el('ul', {}, answer.skipped.map((skip) => el('li', {}, `${skip.mode} ×${skip.concurrency}: ${skip.reason}`)))) : undefined,
    compareCpython(answer))
  speedupChart(chart, answer)
}
