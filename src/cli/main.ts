import { CommanderError } from 'commander'
import { CliError, EXIT } from './cli-error.js'
import { buildProgram } from './program.js'

/**
 * conclab's entry (bin/conclab.js loads it, compiled or through tsx). Whatever goes wrong ends as one line on
 * stderr and an exit code (cli-error.ts); CONCLAB_DEBUG=1 adds the stack.
 */
export async function main (argv: string[]): Promise<number> {
  let exitCode: number = EXIT.ok
  const program = buildProgram({ stdout: process.stdout, stderr: process.stderr }, (code) => { exitCode = code })
  try {
    await program.parseAsync(argv)
    return exitCode
  } catch (error) {
    if (error instanceof CommanderError) {
      // help and --version end here too (exit 0); commander has already written its one-line error
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage
    }
    if (error instanceof CliError) {
      process.stderr.write(`conclab: ${error.message}\n`)
      if (process.env.CONCLAB_DEBUG === '1') process.stderr.write(`${error.stack}\n`)
      return error.exitCode
    }
    process.stderr.write(`conclab: ${error instanceof Error ? error.message : String(error)}\n`)
    if (process.env.CONCLAB_DEBUG === '1' && error instanceof Error) process.stderr.write(`${error.stack}\n`)
    return EXIT.failed
  }
}

process.exitCode = await main(process.argv)
