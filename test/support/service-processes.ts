import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import type { TestContext } from 'node:test'

const root = new URL('../..', import.meta.url)
const MAX_LOG_CHARS = 64 * 1024

export interface ServiceProcess { process: ChildProcess, pid: number, url: string, output: () => string }

const groupAlive = (pid: number): boolean => {
  try {
    process.kill(-pid, 0)
    return true
  } catch {
    return false
  }
}

/**
 * `count` service processes, each `src/server.ts` under tsx (as `npm run dev`, without the watcher: no build step,
 * so several start in a second or two) on 127.0.0.1 with PORT=0, the port read from its log. Each runs in a process
 * group of its own; after the test each gets SIGTERM (its graceful shutdown), then its group is killed should
 * anything of it be left.
 */
export async function startServiceProcesses (t: TestContext, count: number, env: Record<string, string | undefined> = {}): Promise<ServiceProcess[]> {
  const started: ServiceProcess[] = []
  t.after(async () => {
    await Promise.all(started.map(async ({ process: child, pid }) => {
      if (child.exitCode === null && child.signalCode === null) {
        let timer: NodeJS.Timeout | undefined
        const exited = new Promise((resolve) => child.once('exit', resolve))
        child.kill('SIGTERM')
        await Promise.race([exited, new Promise((resolve) => { timer = setTimeout(resolve, 15_000) })])
        clearTimeout(timer)
      }
      if (groupAlive(pid)) process.kill(-pid, 'SIGKILL')
    }))
  })
  for (let i = 0; i < count; i++) {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      cwd: root,
      detached: true,
      // undefined values are left out: e.g. REDIS_URL: undefined keeps a developer's shell from making a cluster
      env: { ...process.env, HOST: '127.0.0.1', PORT: '0', LOG_PRETTY: 'false', LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let log = ''
    const service: ServiceProcess = { process: child, pid: child.pid!, url: '', output: () => log }
    const append = (chunk: Buffer) => {
      log += chunk.toString()
      if (service.url === '') service.url = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(log)?.[1] ?? ''
      if (log.length > MAX_LOG_CHARS) log = log.slice(-MAX_LOG_CHARS)
    }
    child.stdout!.on('data', append)
    child.stderr!.on('data', append)
    started.push(service)
  }
  const deadline = performance.now() + 60_000
  for (const service of started) {
    while (service.url === '') {
      const { process: child } = service
      if (child.exitCode !== null || child.signalCode !== null) assert.fail(`a service ended before listening:\n${service.output()}`)
      if (performance.now() > deadline) assert.fail(`no 'Server listening' within 60 s:\n${service.output()}`)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }
  return started
}
