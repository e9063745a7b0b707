import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { test } from 'node:test'

const root = new URL('../..', import.meta.url)

/** Starts a command and resolves with the URL the service logs once it listens. */
async function startService (t: { after: (fn: () => unknown) => void }, command: string, args: string[], env: Record<string, string>) {
  const child = spawn(command, args, { cwd: root, env: { ...process.env, LOG_PRETTY: 'false', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  t.after(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') })
  let output = ''
  child.stdout!.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stderr!.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no 'Server listening' within 120 s:\n${output}`)), 120_000)
    child.stdout!.on('data', () => {
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)
      if (match) { clearTimeout(timer); resolve(match[1]!) }
    })
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`exited with ${code} before listening:\n${output}`)) })
  })
  return { child, url, output: () => output }
}

async function exitOf (child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode
  const [code] = await once(child, 'exit') as [number | null]
  return code
}

test('the service started the README way (npm start) answers, runs compiled workers and shuts down cleanly on SIGTERM', { timeout: 180_000 }, async (t) => {
  const { child, url, output } = await startService(t, 'npm', ['start', '--silent'], { PORT: '0' })
  const health = await fetch(`${url}/healthz`)
  assert.equal(health.status, 200)
  assert.deepEqual(await health.json(), { status: 'ok' })
  const ready = await fetch(`${url}/readyz`)
  assert.equal(ready.status, 200)

  // Thread and process entry points must load as compiled JavaScript too, not only under tsx.
  for (const mode of ['threads', 'processes', 'pool']) {
    const response = await fetch(`${url}/jobs?wait=true`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ workload: 'hash', mode, tasks: 20, concurrency: 2, params: { rounds: 5 } })
    })
    const job = await response.json() as { status: string, report: { tasks: { done: number } } }
    assert.equal(job.status, 'succeeded', `${mode}: ${JSON.stringify(job)}`)
    assert.equal(job.report.tasks.done, 20)
  }
  // At the default LOG_LEVEL (info) requests are logged, but probes and scrapes only at PROBE_LOG_LEVEL (warn).
  await (await fetch(`${url}/metrics`)).text()
  assert.match(output(), /"url":"\/jobs\?wait=true"/)
  assert.doesNotMatch(output(), /"url":"\/(healthz|readyz|metrics)"/)
  // A long job is running when the signal comes: shutdown cancels it and still exits 0.
  await fetch(`${url}/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ workload: 'db', mode: 'processes', tasks: 100_000, concurrency: 2 })
  })
  await new Promise((resolve) => setTimeout(resolve, 500))
  child.kill('SIGTERM')
  assert.equal(await exitOf(child), 0, output())
  assert.match(output(), /"signal":"SIGTERM"/)
  assert.match(output(), /closed: jobs cancelled/)
  await assert.rejects(fetch(`${url}/healthz`), 'nothing listens any more')
})

test('a bad environment variable stops the service with a message naming it', { timeout: 60_000 }, async () => {
  for (const [name, value] of [['PORT', 'abc'], ['POOL_SIZE', '0'], ['LOG_LEVEL', 'loud'], ['UPSTREAM_URL', 'ftp://example']]) {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      cwd: root,
      env: { ...process.env, [name!]: value! },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
    assert.equal(await exitOf(child), 1, `${name}=${value}`)
    assert.match(stderr, new RegExp(`env/${name} `), stderr)
  }
})
