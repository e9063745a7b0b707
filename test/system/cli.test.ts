/**
 * `conclab` against a started service: a run prints its tables and exits 0; a failing threshold exits 99 naming
 * it; --json is exactly GET /jobs/:id; the progress bar is drawn on a terminal (a pty from util-linux `script`)
 * and never in a pipe; watch, jobs, cancel, compare and --token; `npx conclab` resolves to this package; and every
 * copy-paste block of docs/cli.md runs as written from the repository (the docs-blocks test runs blocks in a temp
 * directory, where npx would not find conclab, so those blocks say `not run: runs in test/system/cli.test.ts`).
 *
 *   test ──listenTestApp(127.0.0.1:0)──▶ service (this process: pool threads do the work)
 *     └──spawn node bin/conclab.js … | script -qfec … | bash -c <block> ──HTTP──▶ the service
 */
import assert from 'node:assert/strict'
import { get, type IncomingMessage } from 'node:http'
import { test } from 'node:test'
import type { JobView } from '../../src/jobs/job.js'
import { listenTestApp, submitJob, waitFor } from '../support/app.js'
import { repoRoot, runCli, runCliOnTerminal, runCommand, STACK_FRAME, startCli } from '../support/cli.js'
import { codeBlocks, isShell, where } from '../support/docs-markdown.js'
import { external } from '../support/external.js'
import { pythonForTests } from '../support/python.js'

/** what cli-progress draws: its bar characters, and the escape codes that hide the cursor and redraw the line */
const BAR = /[\u2588\u2591]{10,}/
/** the Control Sequence Introducer every terminal escape code starts with (ESC [) */
const ESCAPE = new RegExp(`${String.fromCharCode(27)}\\[`)
const HIDE_CURSOR = `${String.fromCharCode(27)}[?25l`
const DOCS_RUN_HERE = /^runs in test\/system\/cli\.test\.ts/

test('conclab against a started service', { timeout: 300_000 }, async (t) => {
  const { app, url } = await listenTestApp(t)
  const getJob = async (id: string) => (await app.inject({ method: 'GET', url: `/jobs/${id}` })).json() as JobView
  const hash = ['--workload', 'hash', '--tasks', '300', '--concurrency', '2', '--param', 'bytes=1024', '--param', 'rounds=20', '--url', url]
  const durations: string[] = []
  const timed = async <T extends { ms: number }>(name: string, run: Promise<T>): Promise<T> => {
    const result = await run
    durations.push(`${(result.ms / 1000).toFixed(2)} s  ${name}`)
    return result
  }

  await t.test('run: the latency table on stdout, plain progress lines on stderr (a pipe: no bar), exit 0', async (t) => {
    const result = await timed('run pool (piped)', runCli(t, ['run', '--mode', 'pool', ...hash]))
    assert.equal(result.code, 0, result.stderr)
    assert.match(result.stdout, /^pool · hash · 300 tasks · concurrency 2 · job [\w-]+ succeeded$/m)
    assert.match(result.stdout, /│ Stat +│ +p50 │ +p90 │ +p99 │ +max │ +mean │/)
    assert.match(result.stdout, /│ Latency \(service\) │ +[\d.]+ ms │/)
    assert.match(result.stdout, /│ Response +│ +[\d.]+ ms │/)
    assert.match(result.stdout, /│ tasks\/s │/)
    assert.match(result.stderr, /^pool: 300\/300 tasks \(100%\), 0 failed, \d+ tasks\/s$/m)
    assert.doesNotMatch(result.stderr, ESCAPE, 'no escape codes in a pipe')
    assert.doesNotMatch(result.stderr, BAR, 'no bar in a pipe')
    assert.doesNotMatch(result.stdout, ESCAPE)
  })

  await t.test('run on a terminal: the progress bar is drawn', { skip: external('script').skip }, async (t) => {
    const result = await timed('run pool (pty)', runCliOnTerminal(t, ['run', '--mode', 'pool', ...hash]))
    assert.equal(result.code, 0, result.stdout)
    assert.match(result.stdout, BAR, 'the bar')
    assert.match(result.stdout, /pool .*100% \| 300\/300 tasks \| 0 failed/)
    assert.ok(result.stdout.includes(HIDE_CURSOR), 'cursor hidden while drawing')
    assert.match(result.stdout, /│ Latency \(service\) │/, 'and the table')
  })

  await t.test('several modes: one job after another, then which ran faster', async (t) => {
    const result = await timed('run pool,async', runCli(t, ['run', '--mode', 'pool,async', ...hash, '--quiet']))
    assert.equal(result.code, 0, result.stderr)
    assert.equal(result.stderr, '', '--quiet: no progress')
    const titles = [...result.stdout.matchAll(/^(\w+) · hash · 300 tasks · concurrency 2 · job ([\w-]+) succeeded$/gm)]
    assert.deepEqual(titles.map((match) => match[1]), ['pool', 'async'])
    const [first, second] = await Promise.all(titles.map((match) => getJob(match[2]!)))
    assert.ok(Date.parse(second!.startedAt!) >= Date.parse(first!.finishedAt!), 'the second started after the first ended')
    assert.match(result.stdout, /Summary: tasks\/s \(tasks done ÷ wall time; start-up and join excluded\)\n {2}(pool|async) ran\n {4}\d+\.\d\d × faster than (pool|async) \(/)
  })

  await t.test('a failing threshold exits 99 and names it with the measured value; passing ones are ticked', async (t) => {
    const result = await timed('run with thresholds', runCli(t, ['run', '--mode', 'pool', ...hash, '--threshold', 'p99<10s', '--threshold', 'tasksPerSec>100000000']))
    assert.equal(result.code, 99, result.stderr)
    assert.match(result.stdout, /✓ p99<10s +pool: p99 = [\d.]+ ms/)
    assert.match(result.stdout, /✗ tasksPerSec>100000000 +pool: tasksPerSec = [\d.]+ tasks\/s/)
    assert.match(result.stderr, /^conclab: threshold 'tasksPerSec>100000000' failed for pool \(job [\w-]+\): tasksPerSec = [\d.]+ tasks\/s$/m)
    assert.doesNotMatch(result.stderr, /threshold 'p99<10s' failed/)
    assert.doesNotMatch(result.stderr, STACK_FRAME)
    const ok = await runCli(t, ['run', '--mode', 'pool', ...hash, '--quiet', '--threshold', 'errors==0', '--threshold', 'response.p99<30s'])
    assert.equal(ok.code, 0, ok.stderr)
  })

  await t.test('--json is exactly GET /jobs/:id; --csv and --md', async (t) => {
    const result = await timed('run --json', runCli(t, ['run', '--mode', 'pool', ...hash, '--json']))
    assert.equal(result.code, 0, result.stderr)
    const printed = JSON.parse(result.stdout) as JobView
    assert.equal(printed.status, 'succeeded')
    assert.deepEqual(printed, await getJob(printed.id))
    const csv = await runCli(t, ['run', '--mode', 'pool,async', ...hash, '--csv', '--quiet'])
    assert.equal(csv.code, 0, csv.stderr)
    const lines = csv.stdout.trimEnd().split('\n')
    assert.equal(lines.length, 3)
    assert.match(lines[0]!, /^id,status,workload,mode,tasks,concurrency,batch,done,failed,notRun,tasksPerSec,/)
    assert.match(lines[1]!, /^[\w-]+,succeeded,hash,pool,300,2,/)
    const md = await runCli(t, ['run', '--mode', 'pool', ...hash, '--md', '--quiet'])
    assert.match(md.stdout, /^### pool · hash/m)
    assert.match(md.stdout, /^\| Latency \(service\) \| [\d.]+ ms \|/m)
  })

  await t.test('watch: a job submitted elsewhere, followed to its end', async (t) => {
    const job = await submitJob(app, { workload: 'db', mode: 'async', tasks: 100, concurrency: 2, params: { latencyMs: 20 } })
    const result = await timed('watch', runCli(t, ['watch', job.id, '--url', url]))
    assert.equal(result.code, 0, result.stderr)
    assert.match(result.stdout, new RegExp(`^async · db · 100 tasks · concurrency 2 · job ${job.id} succeeded$`, 'm'))
    assert.match(result.stderr, /^async: 100\/100 tasks \(100%\)/m)
  })

  await t.test('watch polls GET /jobs/:id when the service refuses another event stream (429)', async (t) => {
    const strict = await listenTestApp(t, { MAX_SSE_STREAMS_PER_JOB: 1 })
    const job = (await strict.app.inject({ method: 'POST', url: '/jobs', payload: { workload: 'db', mode: 'async', tasks: 50, concurrency: 1, params: { latencyMs: 10 } } })).json() as JobView
    // the one stream this job may have, held open by the test
    const held = await new Promise<IncomingMessage>((resolve) => get(`${strict.url}/jobs/${job.id}/events`, resolve))
    t.after(() => held.destroy())
    assert.equal(held.statusCode, 200)
    const result = await timed('watch (polling)', runCli(t, ['watch', job.id, '--url', strict.url]))
    assert.equal(result.code, 0, result.stderr)
    assert.match(result.stdout, new RegExp(`job ${job.id} succeeded`))
    assert.match(result.stderr, /^async: 50\/50 tasks \(100%\)/m)
  })

  await t.test('Ctrl-C (SIGINT) during a run cancels the job running and exits 130', async (t) => {
    const { child, done } = startCli(t, ['run', '--workload', 'db', '--mode', 'async', '--tasks', '10000', '--concurrency', '1', '--param', 'latencyMs=10', '--url', url])
    let running: JobView | undefined
    await waitFor(async () => {
      const { jobs } = (await app.inject({ method: 'GET', url: '/jobs?status=running' })).json() as { jobs: JobView[] }
      running = jobs[0]
      return running !== undefined && running.progress.done > 0
    }, 20_000, 'the job to run')
    child.kill('SIGINT')
    const result = await done
    assert.equal(result.code, 130, result.stderr)
    assert.match(result.stderr, new RegExp(`^conclab: interrupted; cancelled job ${running!.id}$`, 'm'))
    assert.doesNotMatch(result.stderr, STACK_FRAME)
    assert.equal((await getJob(running!.id)).status, 'cancelled')
  })

  await t.test('jobs lists recent jobs; cancel stops a running one', async (t) => {
    const long = await submitJob(app, { workload: 'db', mode: 'async', tasks: 10_000, concurrency: 1, params: { latencyMs: 20 } })
    await waitFor(async () => (await getJob(long.id)).status === 'running', 10_000, 'the long job to run')
    const jobs = await timed('jobs', runCli(t, ['jobs', '--limit', '3', '--url', url]))
    assert.equal(jobs.code, 0, jobs.stderr)
    assert.match(jobs.stdout, /│ id +│ status +│ workload │ mode +│/)
    assert.match(jobs.stdout, new RegExp(`│ ${long.id} │ running +│ db +│ async`))
    const cancel = await timed('cancel', runCli(t, ['cancel', long.id, '--url', url]))
    assert.equal(cancel.code, 0, cancel.stderr)
    assert.match(cancel.stdout, new RegExp(`^cancelled async job ${long.id}: \\d+ of 10000 tasks done, \\d+ failed\n$`))
    assert.equal((await getJob(long.id)).status, 'cancelled')
    const again = await runCli(t, ['cancel', long.id, '--url', url])
    assert.equal(again.code, 2)
    assert.match(again.stderr, /^conclab: cancel [\w-]+: .*\(409 JOB_ALREADY_FINISHED\)\n$/)
    const listed = JSON.parse((await runCli(t, ['jobs', '--json', '--status', 'cancelled', '--url', url])).stdout) as { jobs: JobView[] }
    assert.ok(listed.jobs.some((job) => job.id === long.id), 'the cancelled job is listed')
    assert.ok(listed.jobs.every((job) => job.status === 'cancelled'), '--status cancelled')
  })

  await t.test('compare: the rows and the scaling-law fit per mode', async (t) => {
    const result = await timed('compare', runCli(t, ['compare', '--workload', 'db', '--mode', 'async', '--concurrency', '1,2,4', '--tasks', '40', '--param', 'latencyMs=2', '--url', url]))
    assert.equal(result.code, 0, result.stderr)
    assert.match(result.stdout, /│ mode +│ concurrency │ workers │ tasks\/s │ speedup │ efficiency │ status +│/)
    assert.match(result.stdout, /│ inline \* +│ +1 │ +1 │ +[\d.]+ │ +1\.00 │/)
    assert.match(result.stdout, /│ async +│ +4 │/)
    assert.match(result.stdout, /│ mode +│ N counts +│ levels │ λ tasks\/s │ +σ │ +κ │ +peak N\* │/)
    assert.match(result.stdout, /│ async +│ concurrency │ +3 │/)
    const json = JSON.parse((await runCli(t, ['compare', '--workload', 'db', '--mode', 'async', '--concurrency', '1,2', '--tasks', '10', '--param', 'latencyMs=1', '--json', '--url', url, '--quiet'])).stdout)
    assert.deepEqual(json.rows.map((row: { mode: string, concurrency: number }) => `${row.mode}@${row.concurrency}`), ['inline@1', 'async@1', 'async@2'])
  })

  await t.test('compare --cpython: python/compare.py\'s start-up and hash tables after the Node rows', { skip: (await pythonForTests()).skip }, async (t) => {
    const result = await timed('compare --cpython', runCli(t, ['compare', '--workload', 'hash', '--mode', 'threads,processes', '--concurrency', '1,2', '--tasks', '8',
      '--param', 'bytes=65536', '--param', 'rounds=2', '--cpython', '--quiet', '--url', url]))
    assert.equal(result.code, 0, result.stderr)
    const nodeRows = result.stdout.indexOf('│ mode ')
    const title = result.stdout.search(/^cpython · Python 3\.\d+\.\d+\S* \((gil|free-threaded)\) · python\/compare\.py · \d+ cores, default start method \w+ · /m)
    assert.ok(nodeRows >= 0 && title > nodeRows, `the CPython part after the Node rows:\n${result.stdout}`)
    assert.match(result.stdout, /│ start-up ms +│ 1 worker │ 2 workers │/)
    assert.match(result.stdout, /│ threading\.Thread \(min of 5\) +│ +[\d.]+ │ +[\d.]+ │/)
    assert.match(result.stdout, /│ (fork|spawn) \(ProcessPoolExecutor\) +│ +[\d.]+ │ +[\d.]+ │/)
    assert.match(result.stdout, /│ executor +│ start +│ workers │ input +│ start-up ms │ wall ms │ tasks\/s │/)
    assert.match(result.stdout, /│ ProcessPoolExecutor │ spawn │ +2 │ seeded +│/)
  })

  await t.test('--token and CONCLAB_TOKEN are sent as Authorization: Bearer', async (t) => {
    const secured = await listenTestApp(t, { API_TOKEN: 'a-token-of-sixteen-chars-or-more' })
    const refused = await runCli(t, ['jobs', '--url', secured.url])
    assert.equal(refused.code, 2)
    assert.match(refused.stderr, /^conclab: jobs: .*\(401 UNAUTHORIZED\)\n$/)
    assert.equal((await runCli(t, ['jobs', '--url', secured.url, '--token', 'a-token-of-sixteen-chars-or-more'])).code, 0)
    const viaEnv = await runCli(t, ['run', '--mode', 'pool', ...hash.slice(0, -2), '--quiet'],
      { env: { CONCLAB_URL: secured.url, CONCLAB_TOKEN: 'a-token-of-sixteen-chars-or-more' } })
    assert.equal(viaEnv.code, 0, viaEnv.stderr)
  })

  await t.test('npx conclab resolves to this package\'s bin', async (t) => {
    const result = await timed('npx conclab --help', runCommand(t, 'npx', ['conclab', '--help']))
    assert.equal(result.code, 0, result.stderr)
    assert.match(result.stdout, /^Usage: conclab \[options\] \[command\]/)
    for (const command of ['run', 'compare', 'watch', 'jobs', 'cancel']) assert.match(result.stdout, new RegExp(`^ {2}${command}\\b`, 'm'))
  })

  await t.test('every copy-paste block of docs/cli.md runs as written from the repository', async (t) => {
    const blocks = codeBlocks('docs/cli.md').filter((block) => isShell(block) && DOCS_RUN_HERE.test(block.notRun ?? ''))
    assert.ok(blocks.length >= 4, `blocks marked to run here: ${blocks.length}`)
    const address = url.replace(/^http:\/\//, '')
    // a --cpython block's tables need python3 (pythonForTests: a laptop without it skips; CI fails instead)
    const noPython = (await pythonForTests()).skip
    for (const block of blocks) {
      if (noPython && /--cpython\b/.test(block.code)) {
        t.diagnostic(`${where(block)}: not run: ${noPython}`)
        continue
      }
      const code = block.code.replace(/\b(?:localhost|127\.0\.0\.1):3000\b/g, address)
      const result = await timed(where(block), runCommand(t, 'bash', ['-eo', 'pipefail', '-c', `exec 2>&1\n${code}`], { env: { CONCLAB_URL: url }, cwd: repoRoot }))
      const output = result.stdout // stderr went to stdout (exec 2>&1), in the order a terminal shows them
      assert.equal(result.code, 0, `${where(block)} exited ${result.code}:\n${output.slice(-3000)}`)
      assert.doesNotMatch(output, STACK_FRAME, where(block))
      if (block.expectOutput) assert.match(output, block.expectOutput, `${where(block)}: output`)
    }
  })

  for (const line of durations) t.diagnostic(line)
})
