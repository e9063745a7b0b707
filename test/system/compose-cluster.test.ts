import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { parse } from 'yaml'
import { baseUrl, buildImage, dockerEngine, getJson, ok, root, run, runJob, uniqueName, until, waitHealthy, type RunOptions } from '../support/docker.js'

// docker-compose.yml's cluster profile for real, as docs/containers.md runs it: three app-cluster replicas on one
// Redis, Prometheus finding them by DNS, one cluster job whose slices run in all three containers.
const services = (parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, { image: string }> }).services
const engine = dockerEngine(['node:24-bookworm-slim', services.prometheus!.image, services.redis!.image], ['docker-compose'])

interface Target { labels: { job: string, instance: string }, health: string, lastError: string }
interface Sample { metric: Record<string, string>, value: [number, string] }

test('the compose cluster profile: three replicas, Redis and Prometheus up, one cluster job runs slices in every replica with the exact count', { skip: engine.skip, timeout: 600_000 }, async (t) => {
  const project = uniqueName('conclabcluster')
  const tag = `${project}:latest`
  // The project's compose file as it is, plus an override: this test's image tag, and health checked every second
  // (the image's check, 10 s apart by default) so that the replicas count as healthy without a wait.
  const dir = mkdtempSync(join(tmpdir(), 'conclab-compose-'))
  const override = join(dir, 'docker-compose.test.yml')
  const fast = { image: tag, healthcheck: { interval: '1s' } }
  writeFileSync(override, JSON.stringify({ services: { app: fast, 'app-cluster': fast } }))
  // Every host port a free one on 127.0.0.1, and nothing from the caller's shell that compose passes through.
  const env: RunOptions['env'] = { APP_PORT: '0', PROMETHEUS_PORT: '0', GRAFANA_PORT: '0', POOL_SIZE: undefined, API_TOKEN: undefined, METRICS_TOKEN: undefined, READ_ONLY: undefined }
  const compose = async (args: string[], timeoutMs = 180_000) =>
    await ok('docker-compose', ['--project-name', project, '--file', 'docker-compose.yml', '--file', override, '--profile', 'cluster', ...args], { env, timeoutMs })
  // Added before the image's cleanup, so it runs first (node:test runs after hooks in order): containers, the
  // network and volumes go, then this test's directory, then the image; nothing labelled with the project is left.
  t.after(async () => {
    await compose(['down', '--volumes', '--remove-orphans', '--timeout', '15'])
    for (const kind of ['container', 'network', 'volume']) {
      const left = await ok('docker', [kind, 'ls', ...(kind === 'container' ? ['--all'] : []), '--quiet', '--filter', `label=com.docker.compose.project=${project}`])
      assert.equal(left.trim(), '', `${kind}s of ${project} left after down -v`)
    }
  })
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const { seconds: buildSeconds } = await buildImage(t, tag)
  t.diagnostic(`docker build: ${buildSeconds.toFixed(1)} s`)

  // What a user runs, Grafana aside (it has no stand-in here): the replicas (which wait for Redis to be healthy),
  // and Prometheus, which brings `app` (the single service of the default profile) along.
  const upStarted = Date.now()
  await compose(['up', '--detach', '--no-build', '--scale', 'app-cluster=3', 'app-cluster', 'prometheus'])
  const replicas = (await compose(['ps', '--quiet', 'app-cluster'])).trim().split('\n').filter(Boolean)
  assert.equal(replicas.length, 3, `app-cluster containers: ${replicas.join(' ')}`)
  const [redis] = (await compose(['ps', '--quiet', 'redis'])).trim().split('\n')
  for (const container of [redis!, ...replicas]) await waitHealthy(container)
  t.diagnostic(`up and healthy: ${((Date.now() - upStarted) / 1000).toFixed(1)} s`)

  // Each replica: its container's hostname (REPLICA_ID defaults to <hostname>-<pid>) and its address on the network.
  const replicaInfo = await Promise.all(replicas.map(async (container) => {
    const [hostname, ip] = (await ok('docker', ['inspect', '--format', '{{.Config.Hostname}} {{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', container])).trim().split(' ')
    return { container, hostname: hostname!, ip: ip! }
  }))

  // Prometheus discovers the three by DNS and scrapes them (and `app`, by its name).
  const prometheus = baseUrl(await compose(['port', 'prometheus', '9090']))
  let targets: Target[] = []
  await until(async () => {
    targets = (await getJson<{ data: { activeTargets: Target[] } }>(`${prometheus}/api/v1/targets?state=active`)).data.activeTargets
    const cluster = targets.filter((target) => target.labels.job === 'concurrency-lab-cluster')
    return cluster.length === 3 && cluster.every((target) => target.health === 'up')
  }, 60_000, 'Prometheus to scrape three replicas', () => JSON.stringify(targets, null, 1))
  const clusterTargets = targets.filter((target) => target.labels.job === 'concurrency-lab-cluster')
  assert.deepEqual(clusterTargets.map((target) => target.labels.instance).sort(), replicaInfo.map(({ ip }) => `${ip}:3000`).sort())
  const single = targets.find((target) => target.labels.job === 'concurrency-lab')
  assert.equal(single?.labels.instance, 'app:3000', 'the default profile\'s target is still there')

  // One cluster job, submitted to the first replica, split over all three.
  const url = baseUrl(await compose(['port', '--index=1', 'app-cluster', '3000']))
  const info = await getJson<{ modes: string[], unavailableModes?: Record<string, string> }>(`${url}/`)
  assert.ok(info.modes.includes('cluster'), info.modes.join(', '))
  assert.equal(info.unavailableModes?.cluster, undefined, 'cluster is available with REDIS_URL')
  const jobStarted = Date.now()
  const { status, body: job } = await runJob(url, { workload: 'hash', mode: 'cluster', tasks: 600, concurrency: 6, params: { bytes: 65_536 } })
  t.diagnostic(`cluster job: ${Date.now() - jobStarted} ms over the HTTP call`)
  assert.equal(status, 200, JSON.stringify(job))
  assert.equal(job.status, 'succeeded', JSON.stringify(job))
  assert.equal(job.report!.tasks.done, 600)
  const byReplica = job.report!.byReplica ?? []
  t.diagnostic(`byReplica: ${byReplica.map(({ replica, tasks, slices }) => `${replica} ${tasks} tasks in ${slices} slices`).join('; ')}`)
  assert.equal(byReplica.length, 3, JSON.stringify(byReplica))
  assert.equal(byReplica.reduce((sum, { tasks }) => sum + tasks, 0), 600)
  for (const { replica, slices } of byReplica) assert.ok(slices > 0, `${replica} ran no slice`)
  const hostOf = (replica: string) => replicaInfo.find(({ hostname }) => replica.startsWith(`${hostname}-`))
  assert.deepEqual(byReplica.map(({ replica }) => hostOf(replica)?.container).sort(), [...replicas].sort(), 'one byReplica row per container, named after its hostname')

  // Prometheus saw each replica's share in its task metrics, the exact count in all.
  const tasksByIp = new Map<string, number>()
  await until(async () => {
    const query = encodeURIComponent('sum by (instance) (conclab_tasks_total{job="concurrency-lab-cluster", mode="cluster"})')
    const result = (await getJson<{ data: { result: Sample[] } }>(`${prometheus}/api/v1/query?query=${query}`)).data.result
    tasksByIp.clear()
    for (const sample of result) tasksByIp.set(sample.metric.instance!.replace(/:3000$/, ''), Number(sample.value[1]))
    return [...tasksByIp.values()].reduce((sum, value) => sum + value, 0) === 600
  }, 30_000, 'Prometheus to scrape 600 cluster tasks', () => JSON.stringify([...tasksByIp]))
  for (const { replica, tasks } of byReplica) assert.equal(tasksByIp.get(hostOf(replica)!.ip) ?? 0, tasks, `${replica}: Prometheus and the report agree`)

  // Nothing went wrong in the replicas while they ran it.
  const logs = await run('docker', ['logs', replicas[0]!])
  assert.doesNotMatch(logs.stdout + logs.stderr, /"level":(50|60)/, 'errors in the first replica\'s log')
})
