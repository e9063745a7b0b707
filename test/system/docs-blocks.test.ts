/**
 * Every copy-paste shell block of the manual (README.md, BENCHMARKS.md, docs/**) runs as written against a started
 * service — with its port put in place of 3000 — and exits 0, answers no 5xx (and no 4xx unless the block says it
 * shows one), and prints what its `expect output` marker says. Blocks that must not run here (slow, or they need
 * docker, autocannon, a second terminal) carry `<!-- not run: reason -->`; the test lists them with their reasons.
 *
 *   test ──buildApp + listen(127.0.0.1:0)──▶ service (this process)
 *     └──spawn bash -eo pipefail -c <block>  (own process group, temp cwd, timeout) ──curl──▶ 127.0.0.1:<port>
 *   around each block: GET /metrics → the HTTP 4xx/5xx counts the block caused
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/app.js'
import { testConfig } from '../../src/config.js'
import { FILE_DIR_PREFIX } from '../../src/workloads/file.js'
import { childPids } from '../support/app.js'
import { codeBlocks, docFiles, isShell, where } from '../support/docs-markdown.js'
import { parsePrometheusText } from '../support/prometheus-text.js'

const BLOCK_TIMEOUT_MS = 30_000
/** The docs' commands use the default port; anything else would leave this machine or miss the service. */
const DOCS_ADDRESS = /\b(?:localhost|127\.0\.0\.1):3000\b/g

async function errorAnswers (app: FastifyInstance): Promise<{ '4xx': number, '5xx': number }> {
  const samples = parsePrometheusText((await app.inject({ method: 'GET', url: '/metrics' })).body)
  const count = (statusClass: string) => samples
    .filter((sample) => sample.name === 'conclab_http_request_duration_seconds_count' && sample.labels.status_class === statusClass)
    .reduce((sum, sample) => sum + sample.value, 0)
  return { '4xx': count('4xx'), '5xx': count('5xx') }
}

/** bash in its own process group, so a timeout takes down whatever the block started (curl, node -p, sleep). */
function runBash (code: string, cwd: string): Promise<{ code: number | null, signal: string | null, output: string, ms: number }> {
  const started = performance.now()
  const child = spawn('bash', ['-eo', 'pipefail', '-c', code], { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const timer = setTimeout(() => { try { process.kill(-child.pid!, 'SIGKILL') } catch {} }, BLOCK_TIMEOUT_MS)
  return new Promise((resolve) => {
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer)
      resolve({ code: exitCode, signal, output, ms: performance.now() - started })
    })
  })
}

const fileDirs = () => readdirSync(tmpdir()).filter((name) => name.startsWith(FILE_DIR_PREFIX))

test('every copy-paste block of the docs runs against a started service (or says why not)', { timeout: 180_000 }, async (t) => {
  const blocks = docFiles().flatMap((file) => codeBlocks(file))
  const shell = blocks.filter(isShell)

  // The form first: a command in an unmarked fence, a marker typo or a skip without a reason would hide a block.
  const unlabelled = blocks.filter((block) => !isShell(block) && block.lang === '' && /^\s*(curl|npm|npx|node|docker|bash) /m.test(block.code))
  assert.deepEqual(unlabelled.map(where), [], 'commands in a fence without a language: mark it ```sh')
  assert.deepEqual(blocks.filter((block) => block.unknownMarkers.length > 0).map((block) => `${where(block)}: ${block.unknownMarkers.join(' ')}`), [],
    'unknown markers (use <!-- not run: reason -->, <!-- expect errors: reason --> or <!-- expect output: regex -->)')
  assert.deepEqual(shell.filter((block) => block.notRun === '').map(where), [], 'a skipped block needs its reason')

  const filesBefore = new Set(fileDirs())
  const app = await buildApp(testConfig())
  let closed = false
  const close = async () => { if (!closed) { closed = true; await app.close() } }
  t.after(close)
  const url = await app.listen({ host: '127.0.0.1', port: 0 })
  const address = url.replace(/^http:\/\//, '')
  const cwd = mkdtempSync(join(tmpdir(), 'conclab-docs-blocks-'))
  t.after(() => rmSync(cwd, { recursive: true, force: true }))

  const skipped = shell.filter((block) => block.notRun !== undefined)
  const runnable = shell.filter((block) => block.notRun === undefined)
  const timings: string[] = []
  for (const block of runnable) {
    await t.test(where(block), async () => {
      const code = block.code.replace(DOCS_ADDRESS, address)
      const elsewhere = [...code.matchAll(/\bhttps?:\/\/([^/\s'"]+)/g)].map((match) => match[1]).filter((host) => host !== address)
      assert.deepEqual(elsewhere, [], `${where(block)} would send traffic somewhere other than the service on 127.0.0.1`)
      const before = await errorAnswers(app)
      const result = await runBash(code, cwd)
      const after = await errorAnswers(app)
      timings.push(`${(result.ms / 1000).toFixed(1)} s  ${where(block)}`)
      const tail = result.output.slice(-2000)
      assert.equal(result.signal, null, `${where(block)} was killed after ${BLOCK_TIMEOUT_MS} ms:\n${tail}`)
      assert.equal(result.code, 0, `${where(block)} exited ${result.code}:\n${tail}`)
      assert.equal(after['5xx'] - before['5xx'], 0, `${where(block)} got 5xx answers:\n${tail}`)
      if (block.expectErrors === undefined) {
        assert.equal(after['4xx'] - before['4xx'], 0, `${where(block)} got 4xx answers (mark it <!-- expect errors: why --> if it shows one on purpose):\n${tail}`)
      } else {
        assert.ok(after['4xx'] - before['4xx'] > 0, `${where(block)} is marked "expect errors" but got none:\n${tail}`)
      }
      if (block.expectOutput) assert.match(result.output, block.expectOutput, `${where(block)}: output`)
    })
  }

  t.diagnostic(`ran ${runnable.length} blocks, skipped ${skipped.length}`)
  for (const line of timings) t.diagnostic(`ran ${line}`)
  for (const block of skipped) t.diagnostic(`skipped ${where(block)}: ${block.notRun}`)
  assert.ok(runnable.length >= 15, `only ${runnable.length} blocks ran`)

  // Nothing left behind: no child process of a processes job, no file workload directory.
  await close()
  assert.deepEqual(childPids(), [], 'child processes left after the service closed')
  assert.deepEqual(fileDirs().filter((name) => !filesBefore.has(name)), [], 'file workload directories left behind')
})
