/**
 * The dashboard's PromQL against a real Prometheus scraping three service processes, as it scrapes the replicas
 * of a cluster (deploy/kustomize/, docs/kubernetes.md):
 *
 *   test ──spawn ×3──▶ src/server.ts on 127.0.0.1:<port> ◀──scrape every 1 s── prometheus (Debian's binary)
 *     │──jobs in every mode, /healthz──▶ each of the three         │
 *     └──every expression of grafana/dashboards/concurrency-lab.json, template variables as "All"──▶ /api/v1/query
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { MODES, waitFor } from '../support/app.js'
import { external } from '../support/external.js'
import { startServiceProcesses } from '../support/service-processes.js'
import { freePort } from '../../bench/free-port.js'

const prometheus = external('prometheus')
const REPLICAS = 3

interface Series { metric: Record<string, string>, value: [number, string] }
interface QueryResult { status: string, data: { result: Series[] } }
interface Dashboard {
  panels: Array<{ title: string, targets: Array<{ expr: string, legendFormat: string }> }>
  templating: { list: Array<{ name: string, query: { query: string } }> }
}

const dashboard = JSON.parse(readFileSync(new URL('../../grafana/dashboards/concurrency-lab.json', import.meta.url), 'utf8')) as Dashboard
const expressions = dashboard.panels.flatMap((panel) => panel.targets.map((target) => ({ panel: panel.title, ...target })))

/** Fills the dashboard's template variables the way Grafana does with "All" selected. */
function fill (expr: string): string {
  return expr.replaceAll('$__rate_interval', '30s').replaceAll('$instance', '.*').replaceAll('$mode', '.*').replaceAll('$workload', '.*')
}

/** The labels of each `by (…)` clause, and whether an aggregation has none (it sums everything together). */
function aggregations (expr: string): Array<string[] | 'all'> {
  return [...expr.matchAll(/\b(?:sum|avg|min|max|count)\s*(?:by\s*\(([^)]*)\))?\s*\(/g)]
    .map((match) => match[1] === undefined ? 'all' : match[1].split(',').map((label) => label.trim()))
}

test('every selector of the dashboard filters by $instance, and CPU is never summed across instances', () => {
  for (const { panel, expr } of expressions) {
    const selectors = [...expr.matchAll(/\b((?:conclab|process|nodejs)_\w+)(\{[^}]*\})?/g)]
    assert.ok(selectors.length > 0, `${panel}: ${expr}`)
    for (const [selector, , matchers] of selectors) assert.match(matchers ?? '', /instance=~"\$instance"/, `${panel}: ${selector} does not follow the instance variable`)
    for (const labels of aggregations(expr)) {
      // Replicas on one node report the same cores, replicas on different nodes different machines' cores.
      if (labels !== 'all' && labels.includes('core')) assert.ok(labels.includes('instance'), `${panel}: by core without instance: ${expr}`)
      if (expr.includes('conclab_cpu_seconds_total')) assert.ok(labels !== 'all' && labels.includes('instance'), `${panel}: CPU summed across instances: ${expr}`)
    }
  }
})

test('a real Prometheus scrapes three service processes: every expression of the dashboard returns data, one series per instance where it keeps the instance', { skip: prometheus.skip, timeout: 120_000 }, async (t) => {
  // POOL_SIZE 1: three services on the machine's cores. No REDIS_URL: three independent services, not a cluster.
  const services = await startServiceProcesses(t, REPLICAS, { POOL_SIZE: '1', REDIS_URL: undefined })
  const targets = services.map(({ url }) => new URL(url).host).sort()
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
    `      - targets: [${targets.map((target) => `'${target}'`).join(', ')}]`
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
  const runJob = async (url: string, spec: Record<string, unknown>) => {
    const response = await fetch(`${url}/jobs?wait=true`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(spec) })
    const body = await response.text()
    assert.equal(response.status, 200, body)
  }

  // Work in every mode and workload on each service, plus HTTP traffic, while Prometheus scrapes every second. Two
  // rounds: a series is born with its first scrape, and rate() needs it to grow between two scrapes.
  for (const round of [1, 2]) {
    await Promise.all(services.map(async ({ url }) => {
      for (const mode of MODES) {
        for (const workload of ['hash', 'db']) {
          await runJob(url, { workload, mode, tasks: 20, concurrency: mode === 'inline' ? 1 : 2, params: workload === 'db' ? { latencyMs: 5, errorRate: 0.2 } : { rounds: 50 } })
        }
      }
      for (let i = 0; i < 5; i++) await (await fetch(`${url}/healthz`)).arrayBuffer()
    }))
    await waitFor(async () => (await scrapedJobs()) >= round * REPLICAS * MODES.length * 2, 30_000, `Prometheus to scrape round ${round}`)
  }
  await new Promise((resolve) => setTimeout(resolve, 2000)) // two more scrapes for the gauges' rates

  for (const { panel, expr, legendFormat } of expressions) {
    const what = `"${panel}": ${fill(expr)}`
    const { status, data: { result } } = await query(fill(expr))
    assert.equal(status, 'success')
    assert.ok(result.length > 0, `no data for ${what}`)
    assert.ok(result.some((series) => Number.isFinite(Number(series.value[1]))), `only NaN for ${what}`)
    if (result.some((series) => 'instance' in series.metric)) {
      // Kept by instance: every replica is there, and the legend tells them apart.
      assert.deepEqual([...new Set(result.map((series) => series.metric.instance))].sort(), targets, `every replica in ${what}`)
      assert.match(legendFormat, /\{\{instance\}\}/, `the legend of ${what} names the instance`)
      const perInstance = result.every((series) => Object.keys(series.metric).filter((label) => label !== 'job').join() === 'instance')
      if (perInstance) assert.equal(result.length, REPLICAS, `one series per instance: ${what}`)
    }
    // A core is at most 100 % busy: what summing it over the three services (one machine's cores) would exceed.
    if (/by \(instance, core\)/.test(expr)) {
      for (const series of result) assert.ok(Number(series.value[1]) <= 1.05, `core ${series.metric.core} of ${series.metric.instance} ${series.value[1]} busy: ${what}`)
    }
    if (/^count\(conclab_build_info\b/.test(expr)) assert.equal(Number(result[0]!.value[1]), REPLICAS, what)
  }
  assert.ok(expressions.length >= 25, `${expressions.length} expressions evaluated`)

  // The template variables list what a user picks from: every instance, every mode and both workloads run above.
  const values = async (label: string, metric: string) => {
    const response = await fetch(`${api}/api/v1/label/${label}/values?match[]=${encodeURIComponent(metric)}`)
    return ((await response.json()) as { data: string[] }).data
  }
  assert.deepEqual((await values('mode', 'conclab_tasks_total')).sort(), [...MODES].sort())
  assert.deepEqual((await values('workload', 'conclab_tasks_total')).sort(), ['db', 'hash'])
  assert.deepEqual((await values('instance', 'conclab_build_info')).sort(), targets)
  for (const variable of dashboard.templating.list) assert.match(variable.query.query, /^label_values\(conclab_\w+, \w+\)$/)
})
