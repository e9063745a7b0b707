import { spawn } from 'node:child_process'
import { roundMs } from '../measure/round-ms.js'

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

/** How long the pipes may still deliver what a script printed after it exited, before the call stops waiting for them. */
const DRAIN_MS = 200

/**
 * Runs `python <args>` with `input` on stdin and collects what it prints. Nothing it starts outlives the call: it runs
 * in a process group of its own (detached: a new session), and the whole group is SIGKILLed past `timeoutMs`, when
 * `signal` aborts, and as soon as python itself exits — a grandchild (a ProcessPoolExecutor worker, a script's own
 * subprocess) would otherwise keep the pipes open and the answer waiting. SIGKILL: a thread stuck in acquire never
 * returns to the eval loop to run a signal handler.
 */
export function runPython (executable: string, args: string[], input: string, limits: { timeoutMs: number, signal?: AbortSignal }): Promise<PythonExit> {
  return new Promise((resolve) => {
    const started = performance.now()
    const child = spawn(executable, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true })
    let stdout = ''
    let stderr = ''
    let timedOut = false
    let aborted = false
    let spawnError: string | undefined
    let exitCode: number | null = null
    let settled = false
    let drain: NodeJS.Timeout | undefined
    const killGroup = () => {
      if (child.pid === undefined) return
      try {
        process.kill(-child.pid, 'SIGKILL')
      } catch {
        // ESRCH: the group is gone already
      }
    }
    const timer = setTimeout(() => { timedOut = true; killGroup() }, limits.timeoutMs)
    const onAbort = () => { aborted = true; killGroup() }
    limits.signal?.addEventListener('abort', onAbort, { once: true })
    if (limits.signal?.aborted) onAbort()
    const finish = (code: number | null) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      clearTimeout(drain)
      limits.signal?.removeEventListener('abort', onAbort)
      child.stdout.destroy()
      child.stderr.destroy()
      resolve({ code, stdout, stderr, timedOut, aborted, spawnError, ms: roundMs(performance.now() - started) })
    }
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { if (stdout.length < MAX_OUTPUT) stdout += chunk })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { if (stderr.length < MAX_OUTPUT) stderr += chunk })
    // A script that exits before reading its stdin makes the write fail with EPIPE: its exit code says what happened.
    child.stdin.on('error', () => {})
    child.stdin.end(input)
    child.on('error', (error: NodeJS.ErrnoException) => { spawnError = error.code ?? error.message })
    child.on('exit', (code) => {
      exitCode = code
      killGroup()
      drain = setTimeout(() => finish(exitCode), DRAIN_MS)
    })
    child.on('close', (code) => finish(code ?? exitCode))
  })
}

/** The last non-empty line of a script's stderr (a traceback ends with the exception), for a reason. */
export function lastLine (text: string): string {
  return text.trim().split('\n').at(-1)?.trim() ?? ''
}
