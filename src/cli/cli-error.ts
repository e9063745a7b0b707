/**
 * What the CLI tells a user when something goes wrong: one line on stderr and an exit code, never a stack trace.
 * Each kind of failure has its factory, so every throw has its own stack (for `CONCLAB_DEBUG=1`) and a stable message.
 *
 *   0   everything ran and every threshold passed
 *   1   something failed: the service could not be reached, answered 5xx or 429, or a job did not succeed
 *   2   the input was wrong: a bad option, a bad threshold, bad --params JSON, or the service's 4xx about the request
 *   99  a threshold failed (k6's code)
 *   130 interrupted (Ctrl-C): the running job was cancelled
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, threshold: 99, interrupted: 130 } as const

export class CliError extends Error {
  readonly exitCode: number
  constructor (message: string, exitCode: number) {
    super(message)
    this.name = 'CliError'
    this.exitCode = exitCode
  }
}

export const usageError = (message: string) => new CliError(message, EXIT.usage)

export const failure = (message: string) => new CliError(message, EXIT.failed)

/** The service's error answer `{ statusCode, code, error, message }`: its message, which names the field and the limit. */
export interface ServiceErrorBody { statusCode?: number, code?: string, error?: string, message?: string }

export function serviceError (status: number, body: ServiceErrorBody | string, what: string): CliError {
  const detail = typeof body === 'string'
    ? body.trim().split('\n')[0] || `HTTP ${status}`
    : `${body.message ?? body.error ?? `HTTP ${status}`}${body.code ? ` (${status} ${body.code})` : ` (${status})`}`
  // The request was wrong (4xx), except when the service is busy (429) and trying again later may work.
  const exitCode = status >= 400 && status < 500 && status !== 429 ? EXIT.usage : EXIT.failed
  return new CliError(`${what}: ${detail}`, exitCode)
}

/** A network error as `cannot reach http://…: ECONNREFUSED`. */
export function unreachable (url: string, error: unknown): CliError {
  const code = (error as { code?: string }).code
  const reason = code ?? (error instanceof Error ? error.message : String(error))
  return new CliError(`cannot reach ${url}: ${reason}`, EXIT.failed)
}
