/** Runs an anchor script as its own process and returns the JSON it prints. */
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)

export async function runAnchor<T> (script: string, args: Record<string, string | number>): Promise<T> {
  const file = fileURLToPath(new URL(`./${script}.js`, import.meta.url))
  const argv = Object.entries(args).map(([name, value]) => `--${name}=${value}`)
  const { stdout } = await run(process.execPath, [file, ...argv], { timeout: 120_000 })
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as T
}
