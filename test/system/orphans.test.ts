/**
 * The children of a processes job leave with the service, and only the service decides when (issue 11, item 3).
 * A child runs its chunks back to back in microtasks, so its own event loop cannot notice a lost parent; and a
 * Ctrl-C (SIGINT to the terminal's foreground process group) must reach the service alone, which then ends its
 * non-daemon job as documented. The service runs compiled, in a process group of its own as a terminal runs it, and
 * the process tree is read from /proc, not from the service.
 */
import assert from 'node:assert/strict'
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { test, type TestContext } from 'node:test'
import { promisify } from 'node:util'
import { childrenOf as childrenOfAny, cmdlineOf, running, statOf, type ProcessStat } from '../support/load-proc.js'

const root = new URL('../..', import.meta.url)

/** Every process whose parent is `ppid`. */
const childrenOf = (ppid: number) => childrenOfAny(new Set([ppid]))

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function until<T> (what: string, timeoutMs: number, probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (performance.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(20)
  }
}

interface Service {
  /** the process started here, leader of the service's process group: npm, or the service's node itself */
  leader: ChildProcess
  /** the service's node process (`node dist/src/server.js`) */
  node: ProcessStat
  url: string
  output: () => string
  ended: Promise<[number | null, NodeJS.Signals | null]>
}

/**
 * The compiled service in a process group of its own: `npm start` as the README says (it builds, then `exec`s node
 * as npm's child), or `node dist/src/server.js` after `npm run build` (what `npm start` and the image run).
 * After the test, whatever is left of the group and of the service's children is killed.
 */
async function startService (t: TestContext, how: 'npm start' | 'node', env: Record<string, string> = {}): Promise<Service> {
  if (how === 'node') await promisify(execFile)('npm', ['run', 'build', '--silent'], { cwd: root, timeout: 20_000 })
  const [command, args] = how === 'node' ? [process.execPath, ['dist/src/server.js']] : ['npm', ['start', '--silent']]
  const leader = spawn(command, args, {
    cwd: root,
    detached: true,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_PRETTY: 'false', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  leader.stdout!.on('data', (chunk: Buffer) => { output += chunk.toString() })
  leader.stderr!.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const seen: ProcessStat[] = []
  t.after(() => {
    for (const child of seen) if (running(child)) process.kill(child.pid, 'SIGKILL')
    try {
      process.kill(-leader.pid!, 'SIGKILL')
    } catch {} // the group is gone already
  })
  const ended = once(leader, 'exit') as Promise<[number | null, NodeJS.Signals | null]>
  const endedEarly = ended.then(([code, signal]) => assert.fail(`${how} ended (${signal ?? code}) before listening:\n${output}`))
  endedEarly.catch(() => {})
  const url = await Promise.race([endedEarly, until('Server listening', 25_000, () => /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1])])
  const node = how === 'node' ? statOf(leader.pid!) : childrenOf(leader.pid!).find((child) => cmdlineOf(child.pid).includes('dist/src/server.js'))
  assert.ok(node, `the service's node process (${how}, pid ${leader.pid})`)
  // Every child the service forks is killed after the test too, should the fix under test fail.
  const track = setInterval(() => {
    for (const child of childrenOf(node.pid)) if (!seen.some((known) => known.pid === child.pid)) seen.push(child)
  }, 50)
  t.after(() => clearInterval(track))
  return { leader, node, url, output: () => output, ended }
}

async function post (url: string, body: unknown): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
}

/** The job's children once `count` of them run the process entry and each has spent 200 ms of CPU (it is inside a chunk). */
async function busyChildren (service: Service, count: number): Promise<ProcessStat[]> {
  const children = await until(`${count} children of the service`, 10_000, () => {
    const found = childrenOf(service.node.pid).filter((child) => cmdlineOf(child.pid).includes('process-entry'))
    return found.length === count ? found : undefined
  })
  await until('the children to hash', 10_000, () => children.every((child) => (statOf(child.pid)?.cpuTicks ?? 0) - child.cpuTicks >= 20) ? true : undefined)
  return children
}

test('after SIGKILL of the service (npm start), every child of a processes job is gone within 1 s', { timeout: 30_000 }, async (t) => {
  const service = await startService(t, 'npm start')
  // Chunks of 1 000 tasks of ≈ 1 s each (2 GiB of sha256): each child holds two, hours of work it would run on alone.
  const response = await post(`${service.url}/jobs`, {
    workload: 'hash', mode: 'processes', tasks: 100_000, concurrency: 2, batch: 1000, params: { bytes: 1024 * 1024, rounds: 2048 }
  })
  assert.equal(response.status, 202, await response.text())
  const children = await busyChildren(service, 2)

  process.kill(service.node.pid, 'SIGKILL')
  const killedAt = performance.now()
  await until('every child to leave', 5_000, () => children.some(running) ? undefined : true)
  const goneMs = performance.now() - killedAt
  assert.ok(goneMs < 1000, `the children outlived the service by ${goneMs.toFixed(0)} ms`)
  await service.ended
})

/** SIGINT to the service's whole process group while a non-daemon processes job runs: it finishes, then the service exits 0. */
async function ctrlC (t: TestContext, how: 'npm start' | 'node'): Promise<void> {
  // A non-daemon job may finish for up to DAEMON_SHUTDOWN_WAIT_MS: generous here, so that only a dead child can end it early.
  const service = await startService(t, how, { DAEMON_SHUTDOWN_WAIT_MS: '15000', SHUTDOWN_GRACE_MS: '20000' })
  const tasks = 24 // ≈ 0.15 s each (256 MiB of sha256): about 2 s of work for the two children
  const finished = post(`${service.url}/jobs?wait=true`, {
    workload: 'hash', mode: 'processes', tasks, concurrency: 2, batch: 2, params: { bytes: 1024 * 1024, rounds: 256 }
  }).then(async (response) => ({ status: response.status, job: await response.json() as Record<string, any> }))
  finished.catch(() => {})
  const children = await busyChildren(service, 2)

  process.kill(-service.leader.pid!, 'SIGINT')
  const signalledAt = Date.now()
  const { status, job } = await finished.catch((error: Error) => assert.fail(`POST /jobs?wait=true: ${error.message} (${String(error.cause)})\n${service.output()}`))
  assert.equal(status, 200)
  assert.equal(job.status, 'succeeded', `${JSON.stringify(job.error)}\n${service.output()}`)
  assert.equal(job.report.tasks.done, tasks)
  assert.equal(job.report.workerDeaths, 0)
  assert.ok(Date.parse(job.finishedAt) > signalledAt, 'the job ran on after the signal')
  const [code, signal] = await service.ended
  assert.equal(code, 0, `ended with ${signal ?? code}:\n${service.output()}`)
  assert.match(service.output(), /"signal":"SIGINT"/)
  assert.ok(!running(service.node), 'the service has exited')
  assert.deepEqual(children.filter(running).map((child) => child.pid), [], 'no child is left')
}

test('Ctrl-C (SIGINT to the service\'s process group) reaches the service alone: its non-daemon processes job finishes, then it exits 0 with no child left', { timeout: 30_000 }, (t) => ctrlC(t, 'node'))

// npm passes the terminal's SIGINT on to the service, which so gets it twice at once: server.ts takes that for one Ctrl-C.
test('Ctrl-C on `npm start` does the same', { timeout: 30_000 }, (t) => ctrlC(t, 'npm start'))
