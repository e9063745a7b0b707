/**
 * Bad input to `conclab` ends as one clear line on stderr and a non-zero exit, never a stack trace: an unknown mode
 * (the service's own 400 message), a bad threshold (before anything runs), an unreachable service, bad options.
 *
 *   test ──listenTestApp(127.0.0.1:0)──▶ service (this process)
 *     └──spawn node bin/conclab.js … (CONCLAB_FROM_SOURCE=1, own process group) ──HTTP──▶ the service
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { listenTestApp } from './support/app.js'
import { runCli, STACK_FRAME, type CliResult } from './support/cli.js'
import { freePort } from '../bench/free-port.js'

function assertOneLine (result: CliResult, code: number, pattern: RegExp): void {
  const lines = result.stderr.trimEnd().split('\n')
  assert.equal(result.code, code, `exit code; stderr:\n${result.stderr}`)
  assert.equal(lines.length, 1, `one line on stderr, got:\n${result.stderr}`)
  assert.match(lines[0]!, /^conclab: /)
  assert.match(lines[0]!, pattern)
  assert.doesNotMatch(result.stderr, STACK_FRAME)
  assert.equal(result.stdout, '', 'nothing on stdout')
}

test('conclab: bad input is one line and a non-zero exit, never a stack trace', { timeout: 120_000 }, async (t) => {
  const { app, url } = await listenTestApp(t)
  const jobCount = async () => ((await app.inject({ method: 'GET', url: '/jobs' })).json() as { jobs: unknown[] }).jobs.length
  const small = ['--workload', 'hash', '--tasks', '20', '--param', 'rounds=1', '--url', url]

  await t.test('an unknown mode: the service\'s 400 message, exit 2, nothing ran', async (t) => {
    const result = await runCli(t, ['run', ...small, '--mode', 'pool,fibers'])
    assertOneLine(result, 2, /mode fibers: body\/mode must be one of: inline, async, threads, pool, processes.*\(400 FST_ERR_VALIDATION\)/)
    assert.equal(await jobCount(), 0, 'no job ran: the unknown mode was submitted first')
  })

  await t.test('a mode this configuration cannot run (cluster without REDIS_URL): its 400 before any job runs', async (t) => {
    const result = await runCli(t, ['run', ...small, '--mode', 'pool,cluster'])
    assertOneLine(result, 2, /mode cluster: .*REDIS_URL.*\(400 MODE_UNAVAILABLE\)/)
    assert.equal(await jobCount(), 0, 'no job ran')
  })

  await t.test('a bad threshold: exit 2 before anything runs', async (t) => {
    for (const threshold of ['p99<<50ms', 'p99 50ms', 'p98<50ms', 'tasksPerSec>10ms', 'p99<fast']) {
      const result = await runCli(t, ['run', ...small, '--mode', 'pool', '--threshold', 'tasksPerSec>1', '--threshold', threshold])
      assertOneLine(result, 2, new RegExp(`bad threshold '${threshold.replace(/[<>]/g, '.')}'`))
    }
    assert.equal(await jobCount(), 0, 'no job ran')
  })

  await t.test('an unreachable service: cannot reach …: ECONNREFUSED, exit 1', async (t) => {
    const port = await freePort()
    const result = await runCli(t, ['run', '--workload', 'hash', '--mode', 'pool', '--url', `http://127.0.0.1:${port}`])
    assertOneLine(result, 1, new RegExp(`^conclab: cannot reach http://127\\.0\\.0\\.1:${port}: ECONNREFUSED$`))
    const jobs = await runCli(t, ['jobs'], { env: { CONCLAB_URL: `http://127.0.0.1:${port}` } })
    assertOneLine(jobs, 1, /cannot reach .*ECONNREFUSED/)
  })

  await t.test('a spec the service refuses, bad options, bad JSON, a bad URL: one line, exit 2', async (t) => {
    const cases: Array<[string[], RegExp]> = [
      [['run', ...small, '--mode', 'inline', '--concurrency', '4'], /body\/concurrency must be <= 1 in mode inline.*INVALID_FIELD/],
      [['run', ...small, '--mode', 'pool', '--tasks', 'many'], /--tasks.*'many' is invalid/],
      [['run', ...small, '--mode', 'pool', '--params', '{"rounds":'], /--params.*not JSON/],
      [['run', '--mode', 'pool', '--url', url], /required option '-w, --workload <name>'/],
      [['run', ...small, '--mode', 'pool', '--json', '--csv'], /cannot be used with/],
      [['compare', ...small, '--mode', 'pool', '--cpython', '--csv'], /option '--cpython' cannot be used with option '--csv'/],
      [['runn'], /unknown command 'runn'.*Did you mean run/],
      [['jobs', '--url', 'localhost'], /bad --url 'localhost'/],
      [['watch', 'no-such-job', '--url', url], /job no-such-job: .*\(404 JOB_NOT_FOUND\)/]
    ]
    for (const [args, pattern] of cases) assertOneLine(await runCli(t, args), 2, pattern)
    assert.equal(await jobCount(), 0, 'no job ran')
  })
})
