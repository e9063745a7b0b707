import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import type { TestContext } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { buildApp, type AppOptions } from '../../src/app.js'
import { testConfig, type Config } from '../../src/config.js'
import type { JobView } from '../../src/jobs/job.js'
import { fileDirPrefix } from '../../src/workloads/file.js'

type Overrides = Partial<Record<keyof Config, unknown>>

/** Builds the app the way server.ts does and closes it (pool, threads, children, temp dirs) after the test. */
export async function buildTestApp (t: TestContext, overrides: Overrides = {}, options: AppOptions = {}): Promise<FastifyInstance> {
  const app = await buildApp(testConfig(overrides), options)
  t.after(() => app.close())
  return app
}

/** The same, listening on an ephemeral loopback port, for tests that need real HTTP (supertest, SSE, timing). */
export async function listenTestApp (t: TestContext, overrides: Overrides = {}, options: AppOptions = {}): Promise<{ app: FastifyInstance, url: string }> {
  const app = await buildTestApp(t, overrides, options)
  const url = await app.listen({ host: '127.0.0.1', port: 0 })
  return { app, url }
}

/** POST /jobs?wait=true and the finished job. */
export async function runJob (app: FastifyInstance, spec: Record<string, unknown>): Promise<JobView> {
  const response = await app.inject({ method: 'POST', url: '/jobs?wait=true', payload: spec })
  assert.equal(response.statusCode, 200, response.body)
  return response.json()
}

/** POST /jobs (no wait) and the queued job. */
export async function submitJob (app: FastifyInstance, spec: Record<string, unknown>): Promise<JobView> {
  const response = await app.inject({ method: 'POST', url: '/jobs', payload: spec })
  assert.equal(response.statusCode, 202, response.body)
  return response.json()
}

export async function getJob (app: FastifyInstance, id: string): Promise<JobView> {
  return (await app.inject({ method: 'GET', url: `/jobs/${id}` })).json()
}

/** Polls until `check` returns true, or fails after `timeoutMs`. */
export async function waitFor (check: () => boolean | Promise<boolean>, timeoutMs = 20_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** Child processes of this test process that run the service's process entry, from the OS (not from the service). */
export function childPids (): number[] {
  let listing = ''
  try {
    listing = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' })
  } catch {
    return [] // ps exits 1 when there are none
  }
  return listing.split('\n').filter((line) => line.includes('process-entry')).map((line) => Number(line.trim().split(/\s+/)[0]))
}

/** Temp directories the file workload left behind whose name starts with the job id's prefix. */
export function fileDirsOf (jobId: string): string[] {
  return readdirSync(tmpdir()).filter((name) => name.startsWith(fileDirPrefix(jobId)))
}

export const MODES = ['inline', 'async', 'threads', 'pool', 'processes'] as const
export const WORKLOADS = ['hash', 'db', 'net', 'file'] as const
