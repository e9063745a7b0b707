import assert from 'node:assert/strict'
import { execFileSync, spawn } from 'node:child_process'
import type { TestContext } from 'node:test'
import { fileURLToPath } from 'node:url'
import { external } from './external.js'

/**
 * Helpers of the container tests: run the docker and docker-compose CLIs, find out whether an engine and the
 * base images are there (skip on a laptop without them, fail in CI), build the project's image and remove it with
 * everything its build left.
 */

export const root = fileURLToPath(new URL('../..', import.meta.url))

export interface Run { code: number | null, stdout: string, stderr: string, seconds: number }

/** What a command runs with: `env` on top of this process's environment (undefined: removed from it). */
export interface RunOptions { timeoutMs?: number, env?: Record<string, string | undefined> }

/** Runs a command to its end (killed after timeoutMs); rejects only if it could not start or ran out of time. */
export async function run (command: string, args: string[], { timeoutMs = 120_000, env = {} }: RunOptions = {}): Promise<Run> {
  const started = process.hrtime.bigint()
  const childEnv: Record<string, string> = {}
  for (const [name, value] of Object.entries({ ...process.env, ...env })) if (value !== undefined) childEnv[name] = value
  const child = spawn(command, args, { cwd: root, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  return await new Promise<Run>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${command} ${args.join(' ')}: no end within ${timeoutMs} ms\n${stdout}\n${stderr}`))
    }, timeoutMs)
    child.once('error', (error) => { clearTimeout(timer); reject(error) })
    child.once('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr, seconds: Number(process.hrtime.bigint() - started) / 1e9 })
    })
  })
}

/** Runs a command that must succeed, and answers its standard output. */
export async function ok (command: string, args: string[], options: RunOptions = {}): Promise<string> {
  const result = await run(command, args, options)
  assert.equal(result.code, 0, `${command} ${args.join(' ')} exited ${result.code}:\n${result.stdout}\n${result.stderr}`)
  return result.stdout
}

/**
 * Whether the container tests can run: the docker CLI, an engine that answers, and the images they build on (the
 * stand-ins .ci/containers.sh builds, since no registry is reachable). Without them a test skips, except in CI
 * (CONCLAB_REQUIRE_EXTERNAL=1), where this throws.
 */
export function dockerEngine (images: string[], programs: string[] = []): { skip: string | false } {
  for (const program of ['docker', ...programs]) {
    const found = external(program)
    if (!found.available) return { skip: found.skip }
  }
  let missing = ''
  try {
    execFileSync('docker', ['version', '--format', '{{.Server.Version}}'], { stdio: 'pipe', timeout: 20_000 })
  } catch (error) {
    missing = `no Docker engine answers (${String((error as { stderr?: Buffer }).stderr ?? error).trim()})`
  }
  if (!missing) {
    const absent = images.filter((image) => {
      try {
        execFileSync('docker', ['image', 'inspect', image], { stdio: 'ignore', timeout: 20_000 })
        return false
      } catch {
        return true
      }
    })
    if (absent.length > 0) missing = `no image ${absent.join(', ')} (no registry here: bash .ci/containers.sh builds stand-ins)`
  }
  if (missing && process.env.CONCLAB_REQUIRE_EXTERNAL === '1') {
    throw new Error(`${missing}, required (CONCLAB_REQUIRE_EXTERNAL=1); .ci/run starts the engine and builds them`)
  }
  return { skip: missing || false }
}

/** A name no other run uses: for a tag, a container, a compose project (lower case, digits). */
export function uniqueName (prefix: string): string {
  return `${prefix}${process.pid}${Date.now().toString(36)}`
}

async function imageIds (): Promise<Set<string>> {
  return new Set((await ok('docker', ['images', '--all', '--quiet', '--no-trunc'])).split('\n').filter(Boolean))
}

/**
 * Builds the project's image from the Dockerfile with the classic builder (BuildKit would fetch its frontend from a
 * registry), tagged `tag`. Cleaned up in t.after (node:test runs after hooks in the order they were added, so this
 * one does not count on the test's own having run): any container still made from it, the tag, and every image the
 * build created that nothing else uses (the classic builder keeps each step of each stage as an untagged image, its
 * cache).
 */
export async function buildImage (t: TestContext, tag: string): Promise<{ seconds: number }> {
  const before = await imageIds()
  t.after(async () => {
    const containers = (await ok('docker', ['ps', '--all', '--quiet', '--filter', `ancestor=${tag}`])).split('\n').filter(Boolean)
    if (containers.length > 0) await run('docker', ['rm', '--force', '--volumes', ...containers])
    await run('docker', ['rmi', '--force', tag])
    const dangling = (await ok('docker', ['images', '--quiet', '--no-trunc', '--filter', 'dangling=true'])).split('\n').filter(Boolean)
    const leftovers = dangling.filter((id) => !before.has(id))
    if (leftovers.length > 0) await run('docker', ['rmi', ...leftovers])
  })
  const build = await run('docker', ['build', '--force-rm', '--quiet', '--tag', tag, '.'], { timeoutMs: 600_000, env: { DOCKER_BUILDKIT: '0' } })
  assert.equal(build.code, 0, `docker build:\n${build.stdout}\n${build.stderr}`)
  return { seconds: build.seconds }
}

export interface ContainerState { Status: string, Running: boolean, ExitCode: number, OOMKilled: boolean, Pid: number, Health?: { Status: string, Log: Array<{ Output: string }> } }

export async function containerState (container: string): Promise<ContainerState> {
  return JSON.parse(await ok('docker', ['inspect', '--format', '{{json .State}}', container])) as ContainerState
}

/** Waits until the container's health check says healthy; fails at once if it turns unhealthy or stops. */
export async function waitHealthy (container: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const state = await containerState(container)
    if (state.Health?.Status === 'healthy') return
    const logs = async () => { const { stdout, stderr } = await run('docker', ['logs', '--tail', '30', container]); return stdout + stderr }
    if (!state.Running || state.Health?.Status === 'unhealthy') assert.fail(`${container} is ${state.Status}/${state.Health?.Status}:\n${JSON.stringify(state.Health?.Log.at(-1))}\n${await logs()}`)
    if (Date.now() > deadline) assert.fail(`${container} not healthy within ${timeoutMs} ms (${state.Health?.Status}):\n${await logs()}`)
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}

/** `docker port`'s answer for a container port published on 127.0.0.1, as a base URL. */
export function baseUrl (portOutput: string): string {
  const address = portOutput.split('\n').find((line) => line.startsWith('127.0.0.1:'))
  assert.ok(address, `not published on 127.0.0.1: ${portOutput}`)
  return `http://${address.trim()}`
}

/** Retries check every 250 ms until it answers true (errors count as false). */
export async function until (check: () => Promise<boolean>, timeoutMs: number, what: string, detail: () => Promise<string> | string = () => ''): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}\n${await detail()}`)
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}

/** GET a JSON answer, given up on after timeoutMs (a container that hangs must not hang the test). */
export async function getJson<T> (url: string, timeoutMs = 10_000): Promise<T> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) })
  assert.equal(response.status, 200, `GET ${url}: ${response.status}`)
  return await response.json() as T
}

export interface JobAnswer { id: string, status: string, error?: unknown, report?: { tasks: { done: number, failed?: number }, byReplica?: Array<{ replica: string, tasks: number, slices: number }> } }

/** POST /jobs?wait=true: the status code and the job (or the error body). */
export async function runJob (url: string, spec: Record<string, unknown>, timeoutMs = 120_000): Promise<{ status: number, body: JobAnswer & { code?: string, message?: string } }> {
  const response = await fetch(`${url}/jobs?wait=true`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(spec),
    signal: AbortSignal.timeout(timeoutMs)
  })
  return { status: response.status, body: await response.json() as JobAnswer & { code?: string, message?: string } }
}
