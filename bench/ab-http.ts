/**
 * `node dist/bench/ab-http.js --server bare=dist/bench/anchors/bare-fastify.js:/ --server ours=/tmp/a/dist/src/server.js:/healthz …`
 * P1's method for any HTTP servers, to measure one change at a time (two builds of the service; a bare server with
 * one feature added, bench/anchors/fastify-features.ts). Every server after the first is compared with the first,
 * two at a time exactly as P1 runs them: both started afresh, adjacent slices in alternating order (ABBA), the
 * ratio of req/s taken within each pair; also the ratio of CPU time per request (first ÷ this, from /proc). Servers
 * on CPU 0, the load on the last CPU.
 *
 * Things this machine showed that it guards against:
 *   - an idle server still wakes up (the service's samplers tick every 10 ms) and costs the server measured on the
 *     same core: the one not measured is stopped (SIGSTOP) during a slice;
 *   - one process of the same build can run several percent faster than another for its whole life (two bare
 *     servers differed by 5 % pair after pair; services by 20 %): `--sessions` starts each pair afresh that many
 *     times (the variants in turn, in alternating order) and pools the pairs of all sessions;
 *   - many servers kept alive, stopped for long stretches while the others ran, came back slower (a bare server
 *     plus a 404 handler measured 0.69 among eleven servers and 0.95 alone; this VM pages out memory it finds cold):
 *     so only the two servers of one pair exist at a time;
 *   - other users of the machine: a slice during which other processes used more than MAX_OTHER_SHARE of a core
 *     (from /proc/stat, minus the server and this process) is run again, at most 5 times.
 * A server is `name=script:path[:ENV=value,ENV=value]` (a value may hold `+` for commas: FEATURES=logger+metrics;
 * NODE_ARGS=… are node's own options, space-separated).
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { median } from './benchmark.js'
import { load } from './http-load.js'
import { pinLoadAwayFromServer } from './cpu-pinning.js'
import { startServer, type RunningServer } from './service-process.js'

const { values } = parseArgs({
  options: {
    server: { type: 'string', multiple: true },
    sessions: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '3' },
    durationSec: { type: 'string', default: '1' },
    warmUpSec: { type: 'string', default: '2' },
    connections: { type: 'string', default: '10' }
  }
})

interface Entry { name: string, script: string, path: string, env: Record<string, string> }

const entries: Entry[] = (values.server ?? []).map((spec) => {
  const at = spec.indexOf('=')
  const [script, path, env] = spec.slice(at + 1).split(':') as [string, string, string | undefined]
  const pairs = (env ?? '').split(',').filter(Boolean).map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1).replaceAll('+', ',')])
  return { name: spec.slice(0, at), script, path, env: Object.fromEntries(pairs) }
})
if (entries.length < 2) throw new Error('give at least two --server name=script:path')

/** CPU time of a process (every thread), in ms, from /proc/<pid>/stat (utime + stime, in 10 ms ticks). */
function cpuMs (pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10
}

/**
 * CPU time every core spent on processes or lost to the hypervisor (user, nice, system, steal), in ms, from
 * /proc/stat. Interrupts are left out: loopback traffic's softirq time is the load's own, and no process is charged.
 */
function machineBusyMs (): number {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number)
  const [user, nice, system, , , , , steal] = fields as number[]
  return (user! + nice! + system! + steal!) * 10
}

const MAX_OTHER_SHARE = Number(process.env.MAX_OTHER_SHARE ?? 0.35)
const settings = { connections: Number(values.connections), pipelining: 1, durationSec: Number(values.durationSec) }
const rates: number[][] = entries.map(() => [])
const cpuPerRequest: number[][] = entries.map(() => [])
const ratios: number[][] = entries.map(() => [])
const cpuRatios: number[][] = entries.map(() => [])
let retried = 0

/** One session of one variant: the first server and this one, started afresh, `rounds` pairs. */
async function session (number: number, variant: number): Promise<void> {
  const pinning = pinLoadAwayFromServer()
  const pair = [0, variant]
  const servers: RunningServer[] = []
  try {
    for (const index of pair) {
      const entry = entries[index]!
      const { NODE_ARGS: nodeArgs, ...env } = entry.env
      servers.push(await startServer(pathToFileURL(resolve(entry.script)), {
        env,
        args: nodeArgs === undefined ? [] : nodeArgs.split(' '),
        readyPath: entry.path,
        ...(pinning.serverCpus === undefined ? {} : { cpus: pinning.serverCpus })
      }))
    }
    const url = (slot: number) => `${servers[slot]!.url}${entries[pair[slot]!]!.path}`
    /** Only the server being measured runs. */
    const only = async (slot: number) => {
      servers[1 - slot]!.pause()
      servers[slot]!.resume()
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
    for (const slot of [0, 1]) {
      await only(slot)
      await load({ ...settings, url: url(slot), durationSec: Number(values.warmUpSec) })
    }
    const measure = async (slot: number) => {
      const index = pair[slot]!
      await only(slot)
      for (let attempt = 0; ; attempt++) {
        const cpuBefore = cpuMs(servers[slot]!.pid)
        const busyBefore = machineBusyMs()
        const selfBefore = process.cpuUsage()
        const started = performance.now()
        const result = await load({ ...settings, url: url(slot) })
        const elapsed = performance.now() - started
        const self = process.cpuUsage(selfBefore)
        const server = cpuMs(servers[slot]!.pid) - cpuBefore
        const other = machineBusyMs() - busyBefore - server - (self.user + self.system) / 1000
        if (result.errors > 0 || result.non2xx > 0) throw new Error(`${entries[index]!.name}: ${result.errors} errors, ${result.non2xx} non-2xx`)
        if (other / elapsed > MAX_OTHER_SHARE && attempt < 5) {
          retried++
          continue
        }
        rates[index]!.push(result.requestsPerSec)
        cpuPerRequest[index]!.push(server * 1000 / result.requests)
        return { rate: result.requestsPerSec, cpu: cpuPerRequest[index]!.at(-1)! }
      }
    }
    for (let round = 0; round < Number(values.rounds); round++) {
      const firstFirst = (number + round) % 2 === 0
      const a = await measure(firstFirst ? 0 : 1)
      const b = await measure(firstFirst ? 1 : 0)
      const [first, other] = firstFirst ? [a, b] : [b, a]
      ratios[variant]!.push(other.rate / first.rate)
      cpuRatios[variant]!.push(first.cpu / other.cpu)
    }
    console.error(`session ${number + 1}, ${entries[variant]!.name}: ${ratios[variant]!.slice(-Number(values.rounds)).map((ratio) => ratio.toFixed(2)).join(' ')}`)
  } finally {
    pinning.release()
    await Promise.all(servers.map((server) => server.stop()))
  }
}

for (let number = 0; number < Number(values.sessions); number++) {
  const variants = entries.map((_, index) => index).slice(1)
  for (const variant of number % 2 === 0 ? variants : variants.reverse()) await session(number, variant)
}
console.log(`${values.sessions} sessions × ${values.rounds} rounds of ${values.durationSec}-s slices; ${retried} slices run again (other processes were busy)`)
for (let index = 0; index < entries.length; index++) {
  const summary = index === 0 ? '' : `ratio ${median(ratios[index]!).toFixed(3)} (${ratios[index]!.map((ratio) => ratio.toFixed(2)).join(' ')}); CPU ratio ${median(cpuRatios[index]!).toFixed(3)}`
  console.log(`${entries[index]!.name.padEnd(24)} ${median(rates[index]!).toFixed(0).padStart(7)} req/s  ${median(cpuPerRequest[index]!).toFixed(2)} CPU µs/request  ${summary}`)
}
