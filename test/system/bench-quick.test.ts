import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFile } from 'node:fs/promises'
import { test } from 'node:test'
import { external } from '../support/external.js'

const root = new URL('../..', import.meta.url)

/** Every measure the suite must produce (bench/benchmarks.ts); a quick run proves each one yields a number. */
const EXPECTED = [
  'P1', 'P2', 'P2.batch',
  'P3.threads', 'P3.threads.total', 'P3.pool', 'P3.pool.total', 'P3.processes', 'P3.processes.total', 'P3.bare',
  'P4',
  'P5.async', 'P5.async.total', 'P5.pool', 'P5.pool.total', 'P5.threads', 'P5.threads.total', 'P5.processes', 'P5.processes.total',
  'P6.pool', 'P6.inline', 'P7',
  'P8.scale', 'P8.scale.bare', 'P8.one', 'P8.slice.1', 'P8.slice.10', 'P8.slice.100',
  'X.startup', 'X.scrape'
]
/**
 * Measures whose number may be 0 or below: P7 is a growth (a slope), P8.slice.* a difference of two walls (cluster −
 * pool), either of which a short run can find negative.
 */
const SIGNED = new Set(['P7', 'P8.slice.1', 'P8.slice.10', 'P8.slice.100'])

interface QuickResults {
  quick: boolean
  complete: boolean
  machine: { cpuModel: string, cores: number, node: string }
  measures: Array<{ id: string, ours: number, anchor: number | null, ratio: number | null, target?: { op: string, value: number }, pass: boolean | null }>
  definitions: Array<{ id: string, what: string, anchor: string, target: string }>
  failures: unknown[]
}

const openssl = external('openssl')
/** P8 starts its own redis-server (the cluster mode's Redis) */
const redisServer = external('redis-server')

test('npm run bench -- --quick runs every benchmark and each produces a number (no verdicts, no tracked file touched)', { timeout: 600_000, skip: openssl.skip || redisServer.skip }, async (t) => {
  const tracked = ['BENCHMARKS.md', 'bench/results/latest.json', 'bench/results/latest.md']
  const before = await Promise.all(tracked.map((path) => readFile(new URL(path, root), 'utf8')))
  // Its own process group, so that a timeout kills the bench and every server it started.
  const child = spawn('npm', ['run', 'bench', '--silent', '--', '--quick'], { cwd: root, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  t.after(() => { if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL') })
  let output = ''
  child.stdout!.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stderr!.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const [code] = await once(child, 'exit') as [number | null]
  assert.equal(code, 0, output)

  const results = JSON.parse(await readFile(new URL('bench/results/quick.json', root), 'utf8')) as QuickResults
  assert.equal(results.quick, true)
  assert.equal(results.complete, true)
  assert.deepEqual(results.failures, [])
  assert.ok(results.machine.cores >= 1 && results.machine.node.startsWith('v'))
  assert.deepEqual(results.measures.map((measure) => measure.id), EXPECTED)
  for (const measure of results.measures) {
    assert.ok(Number.isFinite(measure.ours) && (SIGNED.has(measure.id) || measure.ours > 0), `${measure.id}: ours ${measure.ours}`)
    if (measure.anchor !== null) {
      assert.ok(Number.isFinite(measure.anchor) && measure.anchor > 0, `${measure.id}: anchor ${measure.anchor}`)
      assert.ok(measure.ratio !== null && Number.isFinite(measure.ratio), `${measure.id}: ratio ${measure.ratio}`)
    }
    // A quick run measures nothing, so it judges nothing.
    assert.equal(measure.pass, null, measure.id)
  }
  assert.ok(results.definitions.length >= 8 && results.definitions.every((definition) => definition.what.length > 0), 'every benchmark says what it measures')
  // The terminal table lists them too, without a verdict.
  for (const id of EXPECTED) assert.match(output, new RegExp(`^${id.replaceAll('.', '\\.')}\\s`, 'm'))
  assert.doesNotMatch(output, /\s(pass|MISS)$/m)
  // Only a full run or --render rewrites tracked files.
  const after = await Promise.all(tracked.map((path) => readFile(new URL(path, root), 'utf8')))
  assert.deepEqual(after, before)
})
