import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { MODES, listenTestApp, runJob, waitFor } from '../support/app.js'
import { external } from '../support/external.js'

const prometheus = external('prometheus')

async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

interface QueryResult { status: string, data: { result: Array<{ metric: Record<string, string>, value: [number, string] }> } }

/** Fills the dashboard's template variables the way Grafana does with "All" selected. */
function fill (expr: string): string {
  return expr.replaceAll('$__rate_interval', '30s').replaceAll('$instance', '.*').replaceAll('$mode', '.*').replaceAll('$workload', '.*')
}

test('a real Prometheus scrapes the service and every PromQL expression of the dashboard returns data', { skip: prometheus.skip, timeout: 180_000 }, async (t) => {
  const { app, url } = await listenTestApp(t)
  const target = new URL(url).host
  const dir = mkdtempSync(join(tmpdir(), 'conclab-prometheus-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const config = join(dir, 'prometheus.yml')
  writeFileSync(config, [
    'global:',
    '  scrape_interval: 1s',
    '  evaluation_interval: 1s',
    'scrape_configs:',
    '  - job_name: concurrency-lab',
    '    static_configs:',
    `      - targets: ['${target}']`
  ].join('\n'))
  const port = await freePort()
  const server = spawn('prometheus', [
    `--config.file=${config}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=warn'
  ], { stdio: ['ignore', 'ignore', 'pipe'] })
  let log = ''
  server.stderr.on('data', (chunk: Buffer) => { log += chunk.toString() })
  t.after(async () => {
    if (server.exitCode === null) {
      server.kill('SIGTERM')
      await new Promise((resolve) => server.once('exit', resolve))
    }
  })
  const api = `http://127.0.0.1:${port}`
  await waitFor(async () => (await fetch(`${api}/-/ready`).catch(() => undefined))?.ok === true, 60_000, `Prometheus ready (${log})`)

  const query = async (expr: string): Promise<QueryResult> => {
    const response = await fetch(`${api}/api/v1/query?query=${encodeURIComponent(expr)}`)
    const body = await response.json() as QueryResult
    assert.equal(response.status, 200, `${expr}: ${JSON.stringify(body)}`)
    return body
  }
  const scrapedJobs = async () => Number((await query('sum(conclab_jobs_total)')).data.result[0]?.value[1] ?? 0)

  // Work in every mode and workload, plus HTTP traffic, while Prometheus scrapes every second. Two rounds: a series
  // is born with its first scrape, and rate() needs it to grow between two scrapes.
  for (const round of [1, 2]) {
    for (const mode of MODES) {
      for (const workload of ['hash', 'db']) {
        await runJob(app, { workload, mode, tasks: 20, concurrency: mode === 'inline' ? 1 : 2, params: workload === 'db' ? { latencyMs: 5, errorRate: 0.2 } : { rounds: 50 } })
      }
    }
    for (let i = 0; i < 5; i++) await app.inject({ method: 'GET', url: '/healthz' })
    await waitFor(async () => (await scrapedJobs()) >= round * MODES.length * 2, 30_000, `Prometheus to scrape round ${round}`)
  }
  await new Promise((resolve) => setTimeout(resolve, 2000)) // two more scrapes for the gauges' rates

  const dashboard = JSON.parse(readFileSync(new URL('../../grafana/dashboards/concurrency-lab.json', import.meta.url), 'utf8')) as {
    panels: Array<{ title: string, targets: Array<{ expr: string }> }>
    templating: { list: Array<{ name: string, query: { query: string } }> }
  }
  let expressions = 0
  for (const panel of dashboard.panels) {
    for (const { expr } of panel.targets) {
      const result = await query(fill(expr))
      assert.equal(result.status, 'success')
      assert.ok(result.data.result.length > 0, `no data for "${panel.title}": ${fill(expr)}`)
      assert.ok(result.data.result.some((series) => Number.isFinite(Number(series.value[1]))), `only NaN for "${panel.title}": ${fill(expr)}`)
      expressions++
    }
  }
  assert.ok(expressions >= 20, `${expressions} expressions evaluated`)

  // The template variables list what a user picks from: every mode and both workloads run above.
  const values = async (label: string, metric: string) => {
    const response = await fetch(`${api}/api/v1/label/${label}/values?match[]=${encodeURIComponent(metric)}`)
    return ((await response.json()) as { data: string[] }).data
  }
  assert.deepEqual((await values('mode', 'conclab_tasks_total')).sort(), [...MODES].sort())
  assert.deepEqual((await values('workload', 'conclab_tasks_total')).sort(), ['db', 'hash'])
  assert.deepEqual(await values('instance', 'conclab_build_info'), [target])
  for (const variable of dashboard.templating.list) assert.match(variable.query.query, /^label_values\(conclab_\w+, \w+\)$/)
})
