import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'
import { external } from './support/external.js'

const root = new URL('..', import.meta.url)
const read = (path: string) => readFileSync(new URL(path, root), 'utf8')

interface ComposeService {
  build?: unknown
  image?: string
  profiles?: string[]
  command?: string[]
  environment?: string[]
  ports?: string[]
  volumes?: string[]
  depends_on?: string[] | Record<string, { condition: string }>
}
// merge: the services share their common part through a YAML anchor (x-app, `<<: *app`), as Compose reads it.
const readCompose = () => parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, ComposeService> }
interface ScrapeConfig { job_name: string, static_configs?: Array<{ targets: string[] }>, dns_sd_configs?: Array<{ names: string[], type: string, port: number }> }

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
  const compose = readCompose()
  assert.ok(compose.services.grafana!.volumes!.includes(`./grafana/dashboards:${providers.providers[0]!.options.path}:ro`))
  assert.equal(datasource!.url, 'http://prometheus:9090')
  const prometheus = parse(read('prometheus/prometheus.yml')) as { scrape_configs: ScrapeConfig[] }
  assert.deepEqual(prometheus.scrape_configs[0]!.static_configs![0]!.targets, ['app:3000'])
  assert.ok(compose.services.app, 'the scraped service is `app`')
})

test('the cluster profile: replicas that scale (no fixed host port) on one Redis without persistence, each one scraped', () => {
  const compose = readCompose()
  const { app, redis, prometheus } = compose.services
  const replicas = compose.services['app-cluster']
  assert.ok(replicas && redis, 'services app-cluster and redis')
  assert.deepEqual(replicas.profiles, ['cluster'])
  assert.deepEqual(redis.profiles, ['cluster'])
  assert.equal(app!.profiles, undefined, 'docker-compose up without a profile runs the service as before')
  assert.equal(prometheus!.profiles, undefined)
  // The same image as `app`, with the Redis of the profile.
  assert.equal(replicas.image, app!.image)
  assert.ok(replicas.build, 'app-cluster builds the image too (compose would otherwise try to pull it)')
  assert.ok(replicas.environment!.includes('REDIS_URL=redis://redis:6379'))
  assert.deepEqual(replicas.depends_on, { redis: { condition: 'service_healthy' } })
  // --scale app-cluster=3 needs every published port to be a free one (no host port: 127.0.0.1::3000).
  for (const mapping of replicas.ports ?? []) assert.match(mapping, /^127\.0\.0\.1::3000$/)
  // Redis keeps nothing: no RDB snapshots, no append-only file.
  assert.deepEqual(redis.command, ['redis-server', '--save', '', '--appendonly', 'no'])
  assert.match(redis.image!, /^redis:7/, 'BullMQ needs Redis >= 6.2')
  // Prometheus finds every replica by DNS: one A record per container of the service.
  const config = parse(read('prometheus/prometheus.yml')) as { scrape_configs: ScrapeConfig[] }
  const cluster = config.scrape_configs.find((scrape) => scrape.dns_sd_configs)
  assert.deepEqual(cluster?.dns_sd_configs?.map(({ names, type, port }) => ({ names, type, port })), [{ names: ['app-cluster'], type: 'A', port: 3000 }])
  assert.notEqual(cluster!.job_name, config.scrape_configs[0]!.job_name)
})

test('CI builds a stand-in for every image that compose neither builds nor leaves to a registry (Grafana)', () => {
  // .ci/containers.sh tags its stand-ins with the names it reads from docker-compose.yml (prom/prometheus:…,
  // redis:…) and the Dockerfile's base, node:24-bookworm-slim.
  const script = read('.ci/containers.sh')
  assert.match(script, /base=node:24-bookworm-slim\n/)
  for (const from of read('Dockerfile').matchAll(/^FROM (\S+)/gm)) assert.equal(from[1], 'node:24-bookworm-slim')
  for (const [name, service] of Object.entries(readCompose().services)) {
    if (service.build || name === 'grafana') continue
    assert.match(service.image!, /^(prom\/prometheus|redis):/, `${name}: ${service.image} has no stand-in in .ci/containers.sh`)
  }
  assert.match(script, /image: \*\\\(prom\\\/prometheus:/)
  assert.match(script, /image: \*\\\(redis:/)
})

test('compose publishes the service on a host port of its own: not 3000 (npm start) nor Grafana\'s, while it listens on 3000 inside', () => {
  const compose = readCompose()
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
test('docker-compose validates docker-compose.yml with and without the cluster profile (config -q, offline)', { skip: compose.skip }, () => {
  execFileSync('docker-compose', ['-f', 'docker-compose.yml', 'config', '-q'], { cwd: root, stdio: 'pipe' })
  execFileSync('docker-compose', ['-f', 'docker-compose.yml', '--profile', 'cluster', 'config', '-q'], { cwd: root, stdio: 'pipe' })
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
