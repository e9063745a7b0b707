import { spawn } from 'node:child_process'

export interface PythonExit {
  /** exit code, or null when killed */
  code: number | null
  stdout: string
  stderr: string
  /** killed because it passed timeoutMs */
  timedOut: boolean
  /** killed because the signal aborted */
  aborted: boolean
  /** 'ENOENT' and the like when the executable could not be started */
  spawnError?: string
  /** spawn → exit */
  ms: number
}

/** Most of an original's output the service keeps: a result is a few KiB; more is a broken script. */
const MAX_OUTPUT = 1024 * 1024

/**
 * Runs `python <args>` with `input` on stdin and collects what it prints. It is killed (SIGKILL: a deadlocked
 * Python ignores SIGTERM's default handler only if it installed one, but a thread stuck in acquire never returns to
 * run a handler) past `timeoutMs` or when `signal` aborts; it never outlives the call.
 */
export function runPython (executable: string, args: string[], input: string, limits: { timeoutMs: number, signal?: AbortSignal }): Promise<PythonExit> {
  return new Promise((resolve) => {
    const started = performance.now()
    const child = spawn(executable, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, PYTHONIOENCODING: 'utf-8' } })
    let stdout = ''
    let stderr = ''
    let timedOut = false
    let aborted = false
    let spawnError: string | undefined
    const kill = () => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') }
    const timer = setTimeout(() => { timedOut = true; kill() }, limits.timeoutMs)
    const onAbort = () => { aborted = true; kill() }
    limits.signal?.addEventListener('abort', onAbort, { once: true })
    if (limits.signal?.aborted) onAbort()
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { if (stdout.length < MAX_OUTPUT) stdout += chunk })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { if (stderr.length < MAX_OUTPUT) stderr += chunk })
    // A script that exits before reading its stdin makes the write fail with EPIPE: its exit code says what happened.
    child.stdin.on('error', () => {})
    child.stdin.end(input)
    child.on('error', (error: NodeJS.ErrnoException) => { spawnError = error.code ?? error.message })
    child.on('close', (code) => {
      clearTimeout(timer)
      limits.signal?.removeEventListener('abort', onAbort)
      resolve({ code, stdout, stderr, timedOut, aborted, spawnError, ms: Math.round((performance.now() - started) * 1000) / 1000 })
    })
  })
}

/** The last non-empty line of a script's stderr (a traceback ends with the exception), for a reason. */
export function lastLine (text: string): string {
  return text.trim().split('\n').at(-1)?.trim() ?? ''
}
