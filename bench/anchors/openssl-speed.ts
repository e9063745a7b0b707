/** P4's anchor: `openssl speed -evp <algorithm> -bytes <n>` on one core, in bytes per second. */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

const run = promisify(execFile)

export async function opensslSpeed (algorithm: string, bytes: number, seconds: number): Promise<number> {
  const { stdout } = await run('openssl', ['speed', '-evp', algorithm, '-bytes', String(bytes), '-seconds', String(seconds)], { timeout: (seconds + 30) * 1000 })
  // The last line: "sha256   1834567.89k" — thousands of bytes per second for the one block size asked.
  const line = stdout.trim().split('\n').at(-1)!
  const match = /([\d.]+)k\s*$/.exec(line)
  if (!match) throw new Error(`cannot read openssl speed output: ${line}`)
  return Number(match[1]) * 1000
}
