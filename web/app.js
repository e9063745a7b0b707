/* global document, location */
// The page's entry: reads the OpenAPI document (open, it says whether a token is needed) and GET /, asks for the
// token when API_TOKEN is set, then builds the run form, the job panel, history, compare and the labs.

import { ApiError, api, token } from './api.js'
import { comparePanel } from './compare.js'
import { $ } from './dom.js'
import { historyPanel } from './history.js'
import { jobPanel } from './job.js'
import { labsPanel } from './labs.js'
import { buildRunForm, jobSpecSchema } from './run-form.js'

const notice = $('#notice')
export function notify (message) {
  notice.hidden = !message
  notice.textContent = message ?? ''
}
const explain = (error) => (error instanceof ApiError ? `${error.code}: ${error.message}` : error.message)

/** With a token set, GET / lists a bearer requirement in its `security` (src/plugins/swagger.ts). */
const tokenNeeded = (openapi) => (openapi.paths['/']?.get?.security ?? []).length > 0

function askToken (why) {
  const panel = $('#token-panel')
  const form = $('#token-form')
  const input = $('#token-input')
  panel.hidden = false
  if (why) notify(why)
  input.focus()
  return new Promise((resolve) => {
    form.addEventListener('submit', (event) => {
      event.preventDefault()
      token.set(input.value.trim())
      input.value = ''
      panel.hidden = true
      notify()
      resolve()
    }, { once: true })
  })
}

async function serviceInfo (openapi) {
  if (tokenNeeded(openapi)) {
    $('#token-forget').addEventListener('click', () => { token.clear(); location.reload() })
    if (!token.get()) await askToken()
  }
  for (;;) {
    try {
      return await api('/')
    } catch (error) {
      if (error.status !== 401) throw error
      token.clear()
      await askToken('The service refused that token (401): enter the API_TOKEN it was started with.')
    }
  }
}

async function boot () {
  const openapi = await api('/docs/json')
  const info = await serviceInfo(openapi)
  $('#machine').textContent = `${info.name} ${info.version} on ${info.cpuModel}: ${info.cores} cores${info.cgroupCpuQuota ? ` (quota ${info.cgroupCpuQuota})` : ''}, pool of ${info.poolSize}, Node ${info.node}`

  const history = historyPanel({ onShow: (id) => jobs.show(id).catch((error) => notify(explain(error))) })
  const jobs = jobPanel({ onFinished: () => history.refresh().catch((error) => notify(explain(error))) })

  const form = $('#run-form')
  const request = $('#run-request')
  const { read } = buildRunForm(form, {
    schema: jobSpecSchema(openapi),
    info,
    onChange: (body) => {
      request.textContent = `curl -s -X POST '${location.origin}/jobs' -H 'content-type: application/json'${tokenNeeded(openapi) ? ' -H "authorization: Bearer $API_TOKEN"' : ''} \\\n  -d '${JSON.stringify(body)}'`
    }
  })
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    const error = $('#run-error')
    const submit = $('#run-submit')
    error.textContent = ''
    submit.disabled = true
    try {
      await jobs.start(read())
      await history.refresh()
    } catch (failure) {
      error.textContent = explain(failure)
    } finally {
      submit.disabled = false
    }
  })

  comparePanel($('#compare-form'), $('#compare-result'), { openapi, info, onDone: () => history.refresh() })
  labsPanel($('#labs-body'), { openapi, info })
  await history.refresh()
  document.body.dataset.ready = 'true'
}

boot().catch((error) => notify(`The page could not start: ${explain(error)}`))
