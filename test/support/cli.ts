import { spawn, type ChildProcess } from 'node:child_process'
import type { TestContext } from 'node:test'
import { fileURLToPath } from 'node:url'

/** The repository root and the `conclab` entry, as `npx conclab` runs it (bin/conclab.js). */
export const repoRoot = fileURLToPath(new URL('../..', import.meta.url))
export const conclabBin = fileURLToPath(new URL('../../bin/conclab.js', import.meta.url))

export interface CliResult { code: number | null, signal: NodeJS.Signals | null, stdout: string, stderr: string, ms: number }

/** An error's stack frame (`    at fn (file:line)`): a CLI error must never show one. */
export const STACK_FRAME = /^\s+at .+[:(]/m

const shellQuote = (word: string) => /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`

/**
 * Starts a command in its own process group, killed (the group) after the test or after `timeoutMs`. The CLI runs
 * from source (CONCLAB_FROM_SOURCE=1), so a stale dist/ never stands in for the code under test.
 */
export function startCommand (t: TestContext, command: string, args: string[], { env = {}, timeoutMs = 60_000, cwd = repoRoot }: { env?: Record<string, string | undefined>, timeoutMs?: number, cwd?: string } = {}): { child: ChildProcess, done: Promise<CliResult> } {
  const started = performance.now()
  const child = spawn(command, args, {
    cwd,
    detached: true,
    env: { ...process.env, CONCLAB_URL: undefined, CONCLAB_TOKEN: undefined, CONCLAB_FROM_SOURCE: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const kill = () => { try { process.kill(-child.pid!, 'SIGKILL') } catch {} }
  t.after(kill)
  const timer = setTimeout(kill, timeoutMs)
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
  child.stderr!.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr, ms: performance.now() - started })
    })
  })
  return { child, done }
}

/** A command to its end. */
export function runCommand (t: TestContext, command: string, args: string[], options: { env?: Record<string, string | undefined>, timeoutMs?: number, cwd?: string } = {}): Promise<CliResult> {
  return startCommand(t, command, args, options).done
}

/** `conclab <args>` started, stdout and stderr piped (not a terminal). */
export function startCli (t: TestContext, args: string[], options: { env?: Record<string, string | undefined>, timeoutMs?: number } = {}) {
  return startCommand(t, process.execPath, [conclabBin, ...args], options)
}

/** `conclab <args>` with stdout and stderr piped (not a terminal). */
export function runCli (t: TestContext, args: string[], options: { env?: Record<string, string | undefined>, timeoutMs?: number } = {}): Promise<CliResult> {
  return runCommand(t, process.execPath, [conclabBin, ...args], options)
}

/**
 * `conclab <args>` on a pseudo-terminal: util-linux `script -qfec <command> /dev/null` gives the command a pty as
 * stdin, stdout and stderr, and copies what it writes to its own stdout (`-e`: with the command's exit code).
 */
export function runCliOnTerminal (t: TestContext, args: string[], options: { env?: Record<string, string | undefined>, timeoutMs?: number } = {}): Promise<CliResult> {
  const command = [process.execPath, conclabBin, ...args].map(shellQuote).join(' ')
  return runCommand(t, 'script', ['-qfec', command, '/dev/null'], options)
}
