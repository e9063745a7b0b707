import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { test } from 'node:test'
import { baseUrl, buildImage, containerState, dockerEngine, getJson, ok, run, runJob, uniqueName, until, waitHealthy } from '../support/docker.js'

// The image as a user builds and runs it (docs/containers.md): built from the Dockerfile on the node:24-bookworm-slim
// stand-in (.ci/containers.sh), healthy, a job in every mode it can run, then `docker stop` as an orchestrator does it.
const engine = dockerEngine(['node:24-bookworm-slim'])

interface Info { modes: string[], unavailableModes?: Record<string, string>, limits: Record<string, number | string> }

test('the image: built from the Dockerfile, healthy, a job in every mode, docker stop exits 0 within the grace period and leaves no process', { skip: engine.skip, timeout: 600_000 }, async (t) => {
  const tag = `${uniqueName('conclab-image-test')}:latest`
  const { seconds: buildSeconds } = await buildImage(t, tag)
  t.diagnostic(`docker build: ${buildSeconds.toFixed(1)} s`)

  const config = JSON.parse(await ok('docker', ['image', 'inspect', '--format', '{{json .Config}}', tag])) as { User: string, Entrypoint: string[], Healthcheck: { Test: string[] } }
  assert.equal(config.User, 'node')
  assert.deepEqual(config.Entrypoint, ['/usr/bin/tini', '--'])
  assert.match(config.Healthcheck.Test.join(' '), /\/healthz/)

  // A free host port on loopback. The health check is the image's own; only its interval is shortened (10 s in the
  // image) so that the test does not wait for the first one.
  const container = uniqueName('conclab-image-test')
  t.after(async () => { await run('docker', ['rm', '--force', '--volumes', container]) })
  await ok('docker', ['run', '--detach', '--name', container, '--publish', '127.0.0.1::3000', '--health-interval', '1s', tag])
  const started = Date.now()
  await waitHealthy(container)
  t.diagnostic(`healthy ${((Date.now() - started) / 1000).toFixed(1)} s after docker run`)
  const url = baseUrl(await ok('docker', ['port', container, '3000/tcp']))

  // Every mode GET / lists: those it can run succeed with every task done; the others (cluster, without REDIS_URL)
  // are listed as unavailable, and a job in one is a 400.
  const info = await getJson<Info>(`${url}/`)
  const unavailable = info.unavailableModes ?? {}
  assert.ok(info.modes.length >= 5, info.modes.join(', '))
  if (info.modes.includes('cluster')) assert.ok(unavailable.cluster, 'cluster is unavailable without REDIS_URL')
  assert.deepEqual(Object.keys(unavailable).filter((mode) => mode !== 'cluster'), [], 'only cluster may be unavailable here')
  for (const mode of info.modes) {
    const spec = { workload: 'hash', mode, tasks: 20, concurrency: mode === 'inline' ? 1 : 2 }
    const { status, body } = await runJob(url, spec)
    if (unavailable[mode]) {
      assert.equal(status, 400, `${mode}: ${JSON.stringify(body)}`)
      assert.equal(body.code, 'MODE_UNAVAILABLE')
      continue
    }
    assert.equal(status, 200, `${mode}: ${JSON.stringify(body)}`)
    assert.equal(body.status, 'succeeded', `${mode}: ${JSON.stringify(body)}`)
    assert.equal(body.report!.tasks.done, 20, mode)
  }
  t.diagnostic(`ran ${info.modes.filter((mode) => !unavailable[mode]).join(', ')}; unavailable: ${Object.keys(unavailable).join(', ') || 'none'}`)

  // The web page is in the image: its HTML, and uPlot from the production dependencies.
  const page = await fetch(`${url}/ui/`, { signal: AbortSignal.timeout(10_000) })
  assert.equal(page.status, 200)
  assert.match(page.headers.get('content-type') ?? '', /text\/html/)
  assert.match(await page.text(), /<html/i)
  const vendor = await fetch(`${url}/ui/vendor/uPlot.iife.min.js`, { signal: AbortSignal.timeout(10_000) })
  assert.equal(vendor.status, 200, 'uPlot is served from node_modules in the image')

  // docker stop while a long non-daemon job runs in child processes: the service lets it run on for
  // DAEMON_SHUTDOWN_WAIT_MS, cancels it, kills its children and exits 0, all before its own SHUTDOWN_GRACE_MS (8 s
  // in the image) and so before docker's SIGKILL (10 s by default).
  const graceMs = Number(info.limits.SHUTDOWN_GRACE_MS)
  const daemonWaitMs = Number(info.limits.DAEMON_SHUTDOWN_WAIT_MS)
  assert.ok(graceMs < 10_000, `the image's SHUTDOWN_GRACE_MS (${graceMs}) fits in docker stop's default 10 s`)
  const submitted = await fetch(`${url}/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    signal: AbortSignal.timeout(10_000),
    body: JSON.stringify({ workload: 'hash', mode: 'processes', tasks: 1_000_000, concurrency: 2, params: { bytes: 65_536, rounds: 20 } })
  })
  assert.equal(submitted.status, 202, await submitted.clone().text())
  const { id } = await submitted.json() as { id: string }
  // Host PIDs of everything in the container: tini, the service and the job's two children at least.
  let pids: number[] = []
  await until(async () => {
    const job = await getJson<{ status: string }>(`${url}/jobs/${id}`)
    pids = (await ok('docker', ['top', container, '-o', 'pid'])).trim().split('\n').slice(1).map(Number)
    return job.status === 'running' && pids.length >= 4
  }, 30_000, 'the long job running in two child processes', async () => ok('docker', ['top', container]))

  const stop = await run('docker', ['stop', container], { timeoutMs: 30_000 })
  assert.equal(stop.code, 0, stop.stderr)
  t.diagnostic(`docker stop: ${stop.seconds.toFixed(2)} s (DAEMON_SHUTDOWN_WAIT_MS ${daemonWaitMs}, SHUTDOWN_GRACE_MS ${graceMs})`)
  const state = await containerState(container)
  const logs = await run('docker', ['logs', container])
  assert.equal(state.Running, false)
  assert.equal(state.OOMKilled, false)
  assert.equal(state.ExitCode, 0, `exit code ${state.ExitCode} (137: docker had to SIGKILL it):\n${logs.stdout.slice(-3000)}${logs.stderr.slice(-3000)}`)
  assert.ok(stop.seconds * 1000 < graceMs, `docker stop took ${stop.seconds} s, the service's grace is ${graceMs} ms`)
  assert.ok(stop.seconds * 1000 >= daemonWaitMs - 500, `the running non-daemon job was given DAEMON_SHUTDOWN_WAIT_MS (${daemonWaitMs} ms) before it was cancelled: ${stop.seconds} s`)
  // The service ended its children itself (its log says so) and none of the container's processes is left.
  assert.match(logs.stdout, /"msg":"closed: [^"]*children killed/)
  assert.deepEqual(pids.filter((pid) => existsSync(`/proc/${pid}`)), [], 'processes of the stopped container still on the host')
  const top = await run('docker', ['top', container])
  assert.notEqual(top.code, 0, `docker top lists processes of a stopped container: ${top.stdout}`)
})
