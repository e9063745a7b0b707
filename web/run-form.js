// The run form: the job spec's schema (POST /jobs's body in /docs/json) as fields, with the limits the schema
// cannot say from GET / (each mode's concurrency limit, which modes batch, which are unavailable and why).

import { el } from './dom.js'
import { field, objectFields, paramsByWorkload } from './form.js'

/** Shown first, with their defaults filled in; the rest go under "More options". */
const MAIN = ['workload', 'mode', 'tasks', 'concurrency']

/** POST /jobs's body schema from the OpenAPI document. */
export function jobSpecSchema (openapi) {
  return openapi.paths['/jobs'].post.requestBody.content['application/json'].schema
}

/**
 * Fills `form` and returns { read, set } — read(): the job spec the fields say (only what differs from the
 * defaults, plus workload and mode); onChange(body) after every edit.
 */
export function buildRunForm (form, { schema, info, onChange }) {
  const properties = schema.properties
  const params = paramsByWorkload(schema)
  const unavailable = info.unavailableModes ?? {}
  const made = {}

  const workload = field('workload', properties.workload, { required: true, idPrefix: 'run' })
  const firstAvailable = properties.mode.enum.find((mode) => !(mode in unavailable))
  const mode = field('mode', properties.mode, { required: true, idPrefix: 'run', value: properties.mode.enum.includes('pool') && !('pool' in unavailable) ? 'pool' : firstAvailable })
  for (const option of mode.input.options) {
    const why = unavailable[option.value]
    if (why) {
      option.disabled = true
      option.textContent = `${option.value} — unavailable: ${why}`
    }
  }
  made.workload = workload
  made.mode = mode
  made.tasks = field('tasks', properties.tasks, { idPrefix: 'run', value: properties.tasks.default })
  made.concurrency = field('concurrency', properties.concurrency, { idPrefix: 'run', value: 2 })

  const more = Object.entries(properties).filter(([name]) => !MAIN.includes(name) && name !== 'params')
  const moreFields = []
  for (const [name, property] of more) {
    if (property.type === 'object' && property.properties) {
      made[name] = objectFields(name, property, { idPrefix: 'run', note: property.description })
      moreFields.push(made[name].element)
    } else {
      const one = field(name, property, { idPrefix: 'run' })
      if (one) {
        made[name] = one
        moreFields.push(one.element)
      }
    }
  }

  const paramsHolder = el('div')
  let paramsFields
  const showParams = () => {
    const paramsSchema = params[workload.input.value] ?? { properties: {} }
    paramsFields = objectFields(`params of ${workload.input.value}`, paramsSchema, { idPrefix: 'run-params', namePrefix: 'params.', note: info.workloads?.[workload.input.value] })
    paramsHolder.replaceChildren(paramsFields.element)
  }

  // The mode's own limits: concurrency's maximum, batch only where the mode batches, its one-line description.
  const modeLine = mode.hint
  const showMode = () => {
    const name = mode.input.value
    const limit = info.modeLimits?.[name]
    modeLine.textContent = info.modeDescriptions?.[name] ?? ''
    if (limit) {
      made.concurrency.input.max = String(limit.concurrency)
      made.concurrency.hint.textContent = `1 … ${limit.concurrency} in ${name} (${limit.concurrencyLimit})`
      if (Number(made.concurrency.input.value) > limit.concurrency) made.concurrency.input.value = String(limit.concurrency)
      if (made.batch) {
        made.batch.input.disabled = !limit.batches
        if (!limit.batches) made.batch.input.value = ''
        made.batch.hint.textContent = limit.batches ? `1 … ${made.batch.input.max}, or empty: auto` : `${name} does not batch (auto)`
      }
    }
  }

  const read = () => {
    const body = {}
    for (const [name, one] of Object.entries(made)) {
      const value = one.read()
      if (value !== undefined) body[name] = value
    }
    const paramValues = paramsFields?.read()
    if (paramValues) body.params = paramValues
    return body
  }

  form.replaceChildren(
    el('div', { class: 'fields' }, workload.element, mode.element, made.tasks.element, made.concurrency.element),
    paramsHolder,
    el('details', {}, el('summary', {}, 'More options: open loop (rate), warm-up, batch, seed, timeouts, GIL…'), el('div', { class: 'fields' }, moreFields)),
    el('div', { class: 'actions' }, el('button', { type: 'submit', id: 'run-submit' }, 'Start job'), el('span', { id: 'run-error', class: 'error', role: 'alert' }))
  )
  workload.input.addEventListener('change', showParams)
  mode.input.addEventListener('change', showMode)
  form.addEventListener('input', () => onChange(read()))
  form.addEventListener('change', () => onChange(read()))
  showParams()
  showMode()
  onChange(read())
  return { read }
}
