import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFile } from 'node:fs/promises'
import { test } from 'node:test'
import { external } from '../support/external.js'

const root = new URL('../..', import.meta.url)

/** Every measure the suite must produce (bench/benchmarks.ts); a quick run proves each one yields a number. */
const EXPECTED = [
  'P1', 'P2', 'P2.batch', 'P3.threads', 'P3.pool', 'P3.processes', 'P3.bare', 'P4',
  'P5.async', 'P5.pool', 'P5.threads', 'P5.processes', 'P6.pool', 'P6.inline', 'P7', 'X.startup', 'X.scrape'
]

interface QuickResults {
  quick: boolean
  complete: boolean
  machine: { cpuModel: string, cores: number, node: string }
  measures: Array<{ id: string, ours: number, anchor: number | null, ratio: number | null, target?: { op: string, value: number }, pass: boolean | null }>
  failures: unknown[]
}

const openssl = external('openssl')

test('npm run bench -- --quick runs every benchmark and each produces a number (never a speed target)', { timeout: 600_000, skip: openssl.skip }, async (t) => {
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
    assert.ok(Number.isFinite(measure.ours) && measure.ours > 0, `${measure.id}: ours ${measure.ours}`)
    if (measure.anchor !== null) {
      assert.ok(Number.isFinite(measure.anchor) && measure.anchor > 0, `${measure.id}: anchor ${measure.anchor}`)
      assert.ok(measure.ratio !== null && Number.isFinite(measure.ratio), `${measure.id}: ratio ${measure.ratio}`)
    }
    // The verdict is computed, but a quick run on a shared machine is not held to it.
    if (measure.target) assert.equal(typeof measure.pass, 'boolean', measure.id)
  }
  // The terminal table lists them too.
  for (const id of EXPECTED) assert.match(output, new RegExp(`^${id.replace('.', '\\.')}\\s`, 'm'))
})
