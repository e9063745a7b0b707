import { Command, Option } from 'commander'
import { servicePackage } from '../service-info.js'
import { cancelCommand } from './cancel-command.js'
import { compareCommand } from './compare-command.js'
import { jobsCommand } from './jobs-command.js'
import type { Streams } from './job-output.js'
import { batch, collect, integer, integerList, jsonObject, keyValue, list, positiveNumber } from './option-parsers.js'
import { runCommand } from './run-command.js'
import { ServiceClient } from './service-client.js'
import type { OutputFormat } from './table-render.js'
import { parseThreshold } from './thresholds.js'
import { watchCommand } from './watch-command.js'

/**
 * The commands and options of `conclab` (commander: subcommands, help, env fallbacks, typed option parsing and
 * one-line errors). Every action answers an exit code; main.ts sets it.
 */
export const DEFAULT_URL = 'http://127.0.0.1:3000'

type Action = (client: ServiceClient, format: OutputFormat) => Promise<number>

const thresholdsOf = (options: { threshold?: string[] }) => (options.threshold ?? []).map(parseThreshold)

interface FormatFlags { json?: boolean, csv?: boolean, md?: boolean }
const formatOf = (flags: FormatFlags): OutputFormat => flags.json ? 'json' : flags.csv ? 'csv' : flags.md ? 'md' : 'table'

function withOutputFormats (command: Command): Command {
  return command
    .addOption(new Option('--json', 'JSON on stdout (run, watch: one line per job, as GET /jobs/:id answers it)').conflicts(['csv', 'md']))
    .addOption(new Option('--csv', 'CSV on stdout').conflicts(['md']))
    .option('--md', 'Markdown tables on stdout')
}

function withThresholds (command: Command): Command {
  return command
    .addOption(new Option('--histogram [which]', 'also the distribution, with cumulative percent: latency (service time, the default) or response')
      .choices(['latency', 'response']).preset('latency'))
    .option('--threshold <expr>', "fail (exit 99) unless every job meets it, e.g. 'p99<50ms', 'response.p99<=0.2s', 'tasksPerSec>1000', 'errors==0' (repeatable; docs/cli.md)", collect)
    .option('-q, --quiet', 'no progress on stderr')
}

function withJobFields (command: Command): Command {
  return command
    .requiredOption('-w, --workload <name>', 'hash, db, net or file')
    .option('-n, --tasks <n>', 'tasks per job', integer)
    .option('--params <json>', 'the workload\'s params as a JSON object', jsonObject)
    .option('-p, --param <key=value>', 'one param (repeatable; over --params; the value as JSON when it is one)', keyValue)
    .option('--batch <n|auto>', 'tasks per dispatch (pool, processes)', batch)
    .option('--seed <n>', 'fixes every random choice and the data', integer)
    .option('--timeout-ms <ms>', 'a job fails with JOB_TIMEOUT after running this long', integer)
    .option('--warmup-ms <ms>', 'warm up for this long first (in no figure)', integer)
    .option('--warmup-tasks <n>', 'warm up with this many tasks first', integer)
    .option('--gil', 'emulate a global interpreter lock')
}

export function buildProgram (streams: Streams & { stderr: NodeJS.WriteStream }, setExit: (code: number) => void): Command {
  const program = new Command('conclab')
    .description('The command-line client of concurrency-lab: run jobs and compare modes on a running service, with progress, latency tables and thresholds')
    .version(servicePackage.version)
    .addOption(new Option('--url <url>', 'the service').env('CONCLAB_URL').default(DEFAULT_URL))
    .addOption(new Option('--token <token>', 'sent as Authorization: Bearer (API_TOKEN of the service)').env('CONCLAB_TOKEN'))
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => streams.stdout.write(text),
      writeErr: (text) => streams.stderr.write(text),
      outputError: (text, write) => write(`conclab: ${text.replace(/^error: /, '').trim().replace(/\s*\n\s*/g, ' ')}\n`)
    })

  const act = (command: Command, action: Action) => async () => {
    const globals = command.optsWithGlobals<{ url: string, token?: string } & FormatFlags>()
    const client = new ServiceClient({ url: globals.url, token: globals.token })
    setExit(await action(client, formatOf(globals)))
  }

  const run = withThresholds(withOutputFormats(withJobFields(program.command('run')
    .description('run a job in each mode, one after another, and print its latency table (and which mode was faster)')
    .requiredOption('-m, --mode <modes>', 'a mode or a comma-separated list: inline, async, threads, pool, processes, cluster', list)
    .option('-c, --concurrency <n>', 'tasks in flight / workers (see docs/modes-and-workloads.md)', integer))))
    .option('--rate <perSec>', 'open loop: tasks become due at this rate', positiveNumber)
    .option('--arrivals <process>', 'with --rate: constant or poisson')
    .option('--start-delay-ms <ms>', 'wait this long before the first task', integer)
    .option('--series-interval-ms <ms>', 'the length of one row of the report\'s series', integer)
    .addHelpText('after', `
Examples:
  conclab run -w hash -m pool,threads -n 2000 -c 4
  conclab run -w db -m async -n 500 -c 50 -p latencyMs=10 --threshold 'response.p99<50ms' --threshold 'errors==0'
  conclab run -w hash -m pool -n 1000 -c 2 --params '{"bytes":1048576,"rounds":2}' --json > job.json`)
  run.action(act(run, (client, format) => {
    const options = run.opts<Parameters<typeof runCommand>[1] & { threshold?: string[] }>()
    return runCommand(client, { ...options, format, thresholds: thresholdsOf(options), quiet: options.quiet ?? false }, streams)
  }))
  // A bad threshold is an error before anything runs, whatever the command does first.
  run.hook('preAction', () => { thresholdsOf(run.opts()) })

  const watch = withThresholds(withOutputFormats(program.command('watch <id>')
    .description('follow a running job (progress on stderr) and print its report when it ends')))
  watch.action(act(watch, (client, format) => {
    const options = watch.opts<{ threshold?: string[], quiet?: boolean, histogram?: 'latency' | 'response' }>()
    return watchCommand(client, watch.args[0]!, { ...options, format, thresholds: thresholdsOf(options), quiet: options.quiet ?? false }, streams)
  }))
  watch.hook('preAction', () => { thresholdsOf(watch.opts()) })

  const jobs = withOutputFormats(program.command('jobs')
    .description('recent jobs, newest first')
    .option('--status <status>', 'queued, running, succeeded, failed or cancelled')
    .option('--limit <n>', 'at most this many (default 50)', integer))
  jobs.action(act(jobs, (client, format) => jobsCommand(client, { ...jobs.opts<{ status?: string, limit?: number }>(), format }, streams)))

  const cancel = program.command('cancel <id>')
    .description('cancel a queued or running job; prints what it had done')
    .option('--json', 'the cancelled job as JSON')
  cancel.action(act(cancel, (client, format) => cancelCommand(client, cancel.args[0]!, { format }, streams)))

  const compare = withOutputFormats(withJobFields(program.command('compare')
    .description('POST /experiments/compare: every mode at several concurrency levels against inline, with speedup, efficiency and the scaling-law fit')
    .option('-m, --mode <modes>', 'comma-separated modes (default: every mode the service can run)', list)
    .option('-c, --concurrency <levels>', 'comma-separated levels (default 1, 2 and the cores)', integerList)
    // Not with --csv: its one table is the Node rows, and the CPython part would be dropped without a word.
    .addOption(new Option('--cpython', 'then the same on CPython (python/compare.py on the service: thread and process-pool start-up per start method, the hash tasks through ThreadPoolExecutor and ProcessPoolExecutor), printed after the Node tables')
      .conflicts(['csv']))
    .option('-q, --quiet', 'no note on stderr')))
  compare.action(act(compare, (client, format) => {
    const options = compare.opts<Parameters<typeof compareCommand>[1]>()
    return compareCommand(client, { ...options, format, quiet: options.quiet ?? false }, streams)
  }))

  return program
}
