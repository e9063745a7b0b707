import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'

const root = new URL('../..', import.meta.url)

/** One line of a replica's JSON log (pino). */
export type LogLine = Record<string, unknown> & { msg?: string }

export interface Replica {
  id: string
  process: ChildProcess
  url: string
  /** every JSON line it logged so far */
  lines: LogLine[]
  kill: (signal: NodeJS.Signals) => Promise<void>
}

const alive = (child: ChildProcess) => child.exitCode === null && child.signalCode === null

/**
 * `count` service processes (src/server.ts under tsx) on 127.0.0.1 sharing one Redis, REPLICA_ID r1…rN, logging at
 * trace (each slice's tasks, each merge) as JSON lines the test reads. Each runs in a process group of its own;
 * after the test, SIGTERM, then SIGKILL to the group should anything be left.
 */
export async function startReplicas (t: { after: (cleanup: () => Promise<void>) => void }, count: number, env: Record<string, string>): Promise<Replica[]> {
  const replicas: Replica[] = []
  t.after(async () => {
    await Promise.all(replicas.map(async (replica) => await replica.kill('SIGTERM')))
  })
  for (let n = 1; n <= count; n++) {
    const id = `r${n}`
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      cwd: root,
      detached: true,
      env: { ...process.env, HOST: '127.0.0.1', PORT: '0', LOG_PRETTY: 'false', LOG_LEVEL: 'trace', REPLICA_ID: id, ...env },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    const exited = new Promise((resolve) => child.once('exit', resolve))
    const replica: Replica = {
      id,
      process: child,
      url: '',
      lines: [],
      kill: async (signal) => {
        if (alive(child)) {
          child.kill(signal)
          await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 15_000))])
        }
        try {
          process.kill(-child.pid!, 'SIGKILL')
        } catch {}
      }
    }
    let pending = ''
    const read = (chunk: Buffer) => {
      pending += chunk.toString()
      const lines = pending.split('\n')
      pending = lines.pop()!
      for (const text of lines) {
        if (!text.startsWith('{')) continue
        const line = JSON.parse(text) as LogLine
        replica.lines.push(line)
        if (replica.url === '' && typeof line.msg === 'string') replica.url = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(line.msg)?.[1] ?? ''
      }
    }
    child.stdout!.on('data', read)
    child.stderr!.on('data', read)
    replicas.push(replica)
  }
  const deadline = performance.now() + 60_000
  for (const replica of replicas) {
    while (replica.url === '') {
      if (!alive(replica.process)) assert.fail(`replica ${replica.id} ended before listening:\n${JSON.stringify(replica.lines.slice(-20))}`)
      if (performance.now() > deadline) assert.fail(`replica ${replica.id}: no 'Server listening' within 60 s`)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }
  return replicas
}
