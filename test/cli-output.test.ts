/**
 * What conclab prints for finished jobs, from real reports (jobs run in-process): the autocannon-style tables,
 * Markdown and CSV, the hyperfine-style comparison, k6-style thresholds and the exit code they give.
 */
import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { test } from 'node:test'
import type { JobView } from '../src/jobs/job.js'
import { jobsAsCsv, CSV_HEAD, renderJob } from '../src/cli/job-report.js'
import { printJobs } from '../src/cli/job-output.js'
import { compareSpeed, renderComparison } from '../src/cli/speed-comparison.js'
import { parseThreshold } from '../src/cli/thresholds.js'
import { buildTestApp, runJob } from './support/app.js'

function capture (): { stream: Writable, text: () => string } {
  let text = ''
  const stream = new Writable({ write (chunk, _encoding, done) { text += String(chunk); done() } })
  return { stream, text: () => text }
}

function print (jobs: JobView[], format: Parameters<typeof printJobs>[1], thresholds: string[] = []) {
  const stdout = capture()
  const stderr = capture()
  const code = printJobs(jobs, format, thresholds.map(parseThreshold), { stdout: stdout.stream, stderr: stderr.stream })
  return { code, stdout: stdout.text(), stderr: stderr.text() }
}

test('conclab output: tables, Markdown, CSV, JSON lines, the comparison and thresholds', async (t) => {
  const app = await buildTestApp(t)
  const spec = { workload: 'db', tasks: 40, concurrency: 4, params: { latencyMs: 2 } }
  const fast = await runJob(app, { ...spec, mode: 'async' })
  const slow = await runJob(app, { ...spec, mode: 'async', concurrency: 1 })
  const jobs = [slow, fast]

  await t.test('the terminal table: latency, queue and response rows with p50 … mean, then throughput', () => {
    const { code, stdout, stderr } = print([fast], 'table')
    assert.equal(code, 0)
    assert.equal(stderr, '')
    assert.match(stdout, new RegExp(`async · db · 40 tasks · concurrency 4 · job ${fast.id} succeeded`))
    assert.match(stdout, /│ Stat +│ +p50 │ +p90 │ +p99 │ +max │ +mean │/)
    for (const row of ['Latency \\(service\\)', 'Queue', 'Response']) assert.match(stdout, new RegExp(`│ ${row} +│ +[\\d.]+ ms │`))
    assert.match(stdout, /│ tasks\/s │ done │ failed │ not run │ +wall │ start-up │ cores used │/)
    assert.match(stdout, /40 tasks in [\d.]+ m?s/)
    assert.doesNotMatch(stdout, /Summary/, 'one job: nothing to compare')
    assert.ok(!stdout.includes(String.fromCharCode(27)), 'no colours or escape codes')
  })

  await t.test('two jobs: hyperfine\'s summary on tasks/s, the faster first', () => {
    const comparison = compareSpeed(jobs)!
    assert.equal(comparison.fastest.id, fast.id)
    const times = fast.report!.tasksPerSec / slow.report!.tasksPerSec
    assert.ok(times > 1.5, `4 in flight vs 1: ${times}`)
    const text = renderComparison(comparison, 'table')
    assert.match(text, /^Summary: tasks\/s \(tasks done ÷ wall time; start-up and join excluded\)\n {2}async ran\n {4}\d+\.\d\d × faster than async \(/)
    assert.match(print(jobs, 'table').stdout, /async ran/)
    assert.doesNotMatch(text, /not counted/, 'nothing left out: no start-up in async')
    const started = { ...slow, report: { ...slow.report!, startupMs: 100, teardownMs: 5 } }
    assert.match(renderComparison(compareSpeed([fast, started])!, 'table'), /\n {2}not counted: start-up \+ join async 0 ms, async 105 ms$/)
  })

  await t.test('Markdown and CSV', () => {
    const md = print(jobs, 'md').stdout
    assert.match(md, /^### async · db/m)
    assert.match(md, /^\| Stat \| p50 \| p90 \| p99 \| max \| mean \|$/m)
    assert.match(md, /^\| :--- \| ---: \| ---: \| ---: \| ---: \| ---: \|$/m)
    assert.match(md, /^\| Response \| [\d.]+ ms \|/m)
    const csv = print(jobs, 'csv').stdout.trimEnd().split('\n')
    assert.equal(csv.length, 3)
    assert.equal(csv[0], CSV_HEAD.join(','))
    assert.equal(csv[1]!.split(',')[0], slow.id)
    const row = Object.fromEntries(CSV_HEAD.map((name, index) => [name, csv[2]!.split(',')[index]]))
    assert.equal(row.mode, 'async')
    assert.equal(Number(row.tasksPerSec), fast.report!.tasksPerSec)
    assert.equal(Number(row['responseMs.p99']), fast.report!.responseMs!.p99)
    assert.equal(jobsAsCsv([fast]).split('\n').length, 2)
  })

  await t.test('--histogram: the report\'s bins with a bar and the cumulative percent', () => {
    const bins = fast.report!.histograms.responseMs
    const text = renderJob(fast, 'table', { histogram: 'response' })
    assert.match(text, /│ response ms ≤ │ count │ +cum % │/)
    const rows = [...text.matchAll(/^│ +([\d.]+) │ +(\d+) │ +([\d.]+) │ (█*) +│$/gm)]
    assert.equal(rows.length, bins.length, 'one row per bin, empty ones included')
    assert.deepEqual(rows.map((row) => Number(row[2])), bins.map((bin) => bin.count))
    assert.equal(rows.at(-1)![3], '100.00')
    assert.ok(rows.every((row) => (row[4] === '') === (row[2] === '0')), 'a bar exactly where there are tasks')
    assert.match(renderJob(fast, 'md', { histogram: 'latency' }), /^\| service ms ≤ \| count \| cum % \| {2}\|$/m)
    assert.doesNotMatch(renderJob(fast, 'table'), /ms ≤/, 'only when asked')
  })

  await t.test('JSON: one line per job, each the job itself', () => {
    const lines = print(jobs, 'json').stdout.trimEnd().split('\n')
    assert.deepEqual(lines.map((line) => JSON.parse(line)), JSON.parse(JSON.stringify(jobs)))
  })

  await t.test('thresholds: ✓ and ✗ with the measured value; a failure is named on stderr and exits 99', () => {
    const passing = print([fast], 'table', ['errors==0', 'p99<10s'])
    assert.equal(passing.code, 0)
    assert.match(passing.stdout, /thresholds\n {2}✓ errors==0 {2}async: errors = 0\n {2}✓ p99<10s {4}async: p99 = [\d.]+ ms/)
    const failing = print(jobs, 'json', ['tasksPerSec>1000000', 'errors==0'])
    assert.equal(failing.code, 99)
    const lines = failing.stderr.trimEnd().split('\n')
    assert.equal(lines.length, 2, 'one line per failed threshold and job')
    assert.match(lines[0]!, new RegExp(`^conclab: threshold 'tasksPerSec>1000000' failed for async \\(job ${slow.id}\\): tasksPerSec = [\\d.]+ tasks/s$`))
    assert.doesNotThrow(() => failing.stdout.trimEnd().split('\n').map((line) => JSON.parse(line)), 'stdout stays JSON')
  })

  await t.test('a job that did not succeed exits 1 and says why', () => {
    const cancelled = { ...fast, status: 'cancelled', error: { code: 'JOB_CANCELLED', message: 'cancelled by DELETE' } } as JobView
    const { code, stderr } = print([cancelled], 'table')
    assert.equal(code, 1)
    assert.match(stderr, /^conclab: async job .* ended cancelled: JOB_CANCELLED: cancelled by DELETE\n$/)
  })
})
