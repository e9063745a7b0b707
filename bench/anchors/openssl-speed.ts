/**
 * P4's anchor: `openssl speed -elapsed -evp <algorithm> -bytes <n>` on one core, in bytes per second. `-elapsed`
 * divides by wall-clock time, as our MB/s does (without it openssl divides by its CPU user time, which leaves out
 * whatever the machine took from it meanwhile).
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

const run = promisify(execFile)

export function opensslSpeedArgs (algorithm: string, bytes: number, seconds: number): string[] {
  return ['speed', '-elapsed', '-evp', algorithm, '-bytes', String(bytes), '-seconds', String(seconds)]
}

export async function opensslSpeed (algorithm: string, bytes: number, seconds: number): Promise<number> {
  const { stdout } = await run('openssl', opensslSpeedArgs(algorithm, bytes, seconds), { timeout: (seconds + 30) * 1000 })
  // The last line: "sha256   1834567.89k" — thousands of bytes per second for the one block size asked.
  const line = stdout.trim().split('\n').at(-1)!
  const match = /([\d.]+)k\s*$/.exec(line)
  if (!match) throw new Error(`cannot read openssl speed output: ${line}`)
  return Number(match[1]) * 1000
}
