import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'
import { external } from './support/external.js'

const root = new URL('..', import.meta.url)
const read = (path: string) => readFileSync(new URL(path, root), 'utf8')

interface Panel { title: string, datasource: { uid: string }, targets: Array<{ expr: string, datasource: { uid: string } }> }

test('the dashboard and both provisioning files parse and use the same datasource uid', () => {
  const dashboard = JSON.parse(read('grafana/dashboards/concurrency-lab.json')) as { uid: string, panels: Panel[], templating: { list: Array<{ name: string, datasource: { uid: string } }> } }
  const datasources = parse(read('grafana/provisioning/datasources/prometheus.yml')) as { datasources: Array<{ uid: string, type: string, url: string }> }
  const providers = parse(read('grafana/provisioning/dashboards/concurrency-lab.yml')) as { providers: Array<{ options: { path: string } }> }
  const [datasource] = datasources.datasources
  assert.equal(datasource!.type, 'prometheus')
  const uid = datasource!.uid
  assert.ok(dashboard.panels.length >= 10)
  for (const panel of dashboard.panels) {
    assert.equal(panel.datasource.uid, uid, panel.title)
    assert.ok(panel.targets.length > 0, panel.title)
    for (const target of panel.targets) assert.equal(target.datasource.uid, uid, panel.title)
  }
  assert.deepEqual(dashboard.templating.list.map((variable) => variable.name), ['instance', 'mode', 'workload'])
  for (const variable of dashboard.templating.list) assert.equal(variable.datasource.uid, uid)
  // The provider reads where docker-compose mounts the dashboards, and Grafana reaches Prometheus by its service name.
  const compose = parse(read('docker-compose.yml')) as { services: Record<string, { volumes?: string[] }> }
  assert.ok(compose.services.grafana!.volumes!.includes(`./grafana/dashboards:${providers.providers[0]!.options.path}:ro`))
  assert.equal(datasource!.url, 'http://prometheus:9090')
  const prometheus = parse(read('prometheus/prometheus.yml')) as { scrape_configs: Array<{ static_configs: Array<{ targets: string[] }> }> }
  assert.deepEqual(prometheus.scrape_configs[0]!.static_configs[0]!.targets, ['app:3000'])
  assert.ok(compose.services.app, 'the scraped service is `app`')
})

test('compose publishes the service on a host port of its own: not 3000 (npm start) nor Grafana\'s, while it listens on 3000 inside', () => {
  const compose = parse(read('docker-compose.yml')) as { services: Record<string, { ports?: string[] }> }
  const hostPort = (mapping: string) => mapping.replace(/\$\{[A-Z_]+:-(\d+)\}/, '$1').split(':').at(-2)
  const [app] = compose.services.app!.ports!
  assert.match(app!, /:3000$/, 'the container port Prometheus scrapes (app:3000)')
  const published = hostPort(app!)
  assert.notEqual(published, '3000', 'the quick start leaves npm start on 3000')
  for (const [name, service] of Object.entries(compose.services)) {
    if (name !== 'app') for (const mapping of service.ports ?? []) assert.notEqual(hostPort(mapping), published, `${name} publishes ${mapping}`)
  }
})

const promtool = external('promtool')
test('promtool accepts the shipped Prometheus config', { skip: promtool.skip }, () => {
  const output = execFileSync('promtool', ['check', 'config', 'prometheus/prometheus.yml'], { cwd: root, encoding: 'utf8' })
  assert.match(output, /SUCCESS/)
})

const compose = external('docker-compose')
test('docker-compose validates docker-compose.yml (config -q, offline)', { skip: compose.skip }, () => {
  execFileSync('docker-compose', ['-f', 'docker-compose.yml', 'config', '-q'], { cwd: root, stdio: 'pipe' })
})

test('the Dockerfile passes a Dockerfile linter and keeps the runtime stage lean and unprivileged', () => {
  const bin = fileURLToPath(new URL('node_modules/.bin/dockerfile-utils', root))
  const output = execFileSync(bin, ['lint', 'Dockerfile'], { cwd: root, encoding: 'utf8' })
  assert.equal(output.trim(), '', output)
  const dockerfile = read('Dockerfile')
  const runtime = dockerfile.slice(dockerfile.lastIndexOf('FROM '))
  assert.match(dockerfile, /^FROM node:\d+-bookworm-slim AS build$/m)
  assert.match(runtime, /^FROM node:\d+-bookworm-slim AS runtime$/m)
  assert.match(runtime, /npm ci --omit=dev/)
  assert.match(runtime, /COPY --from=build \/app\/dist \.\/dist/)
  assert.match(runtime, /^USER node$/m)
  assert.match(runtime, /ENTRYPOINT \["\/usr\/bin\/tini", "--"\]/)
  assert.match(runtime, /HOST=0\.0\.0\.0/)
  assert.match(runtime, /HEALTHCHECK .*\n?.*healthz/)
})
