import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { cgroupCpuQuota, parseProcCgroup } from '../src/measure/cgroup-cpu.js'
import { cpuBetween, sampleCpu, type CpuSample } from '../src/measure/cpu-sampler.js'
import { cpuWarnings } from '../src/measure/cpu-warnings.js'
import { allowedCores, parseCpuList } from '../src/measure/cpuset.js'
import { cpuCapacity, cpuLimits } from '../src/measure/environment.js'
import { parseProcStat, TICK_MS, type CoreTimes } from '../src/measure/proc-stat.js'
import type { CpuWindow } from '../src/measure/report-schema.js'
import { ServiceMetrics } from '../src/metrics/service-metrics.js'
import { buildTestApp, runJob } from './support/app.js'
import { parsePrometheusText, valueOf } from './support/prometheus-text.js'

/** A fixture tree standing in for `/` (proc and sys files the test writes), removed after the test. */
function fixtureRoot (t: TestContext, files: Record<string, string> = {}) {
  const root = mkdtempSync(join(tmpdir(), 'conclab-cpu-'))
  t.after(() => rmSync(root, { recursive: true, force: true }))
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true })
    writeFileSync(join(root, path), text)
  }
  for (const [path, text] of Object.entries(files)) write(path, text)
  return { root, write }
}

/** Ticks per core in /proc/stat's column order: user nice system idle iowait irq softirq steal. */
type Ticks = [number, number, number, number, number, number, number, number]

/** A /proc/stat text with these cores (and the aggregate line and others that must be ignored). */
function procStat (cores: Ticks[]): string {
  const total = cores.reduce<number[]>((sum, ticks) => sum.map((value, i) => value + ticks[i]!), [0, 0, 0, 0, 0, 0, 0, 0])
  return [
    `cpu  ${total.join(' ')} 0 0`,
    ...cores.map((ticks, core) => `cpu${core} ${ticks.join(' ')} 0 0`),
    'intr 7773814 0 0 0',
    'ctxt 30500856',
    'btime 1764568000',
    'procs_running 2'
  ].join('\n') + '\n'
}

const status = (list: string) => `Name:\tnode\nCpus_allowed:\tf\nCpus_allowed_list:\t${list}\nMems_allowed_list:\t0\n`

test('/proc/stat: each cpuN line in USER_HZ ticks (10 ms), the aggregate line ignored, missing columns 0', () => {
  const cores = parseProcStat('cpu  9 9 9 9 9 9 9 9\ncpu0 1 2 3 4 5 6 7 8 0 0\ncpu2 10 0 5 100\nintr 1 2\n')
  assert.equal(TICK_MS, 10)
  assert.deepEqual(cores, [
    { core: 0, user: 10, nice: 20, system: 30, idle: 40, iowait: 50, irq: 60, softirq: 70, steal: 80 },
    { core: 2, user: 100, nice: 0, system: 50, idle: 1000, iowait: 0, irq: 0, softirq: 0, steal: 0 }
  ])
})

test('iowait is not busy, steal is reported apart, softirq counts as busy (fixture /proc/stat snapshots)', (t) => {
  const { root, write } = fixtureRoot(t, { 'proc/self/status': status('0-1') })
  write('proc/stat', procStat([[1000, 10, 500, 9000, 40, 5, 5, 0], [2000, 0, 100, 8000, 0, 0, 0, 70]]))
  const start = sampleCpu(root)
  // Core 0: 100 ticks = user 30 + system 10 + irq 5 + softirq 5 + idle 25 + iowait 25. Core 1: user 60 + steal 40.
  write('proc/stat', procStat([[1030, 10, 510, 9025, 65, 10, 10, 0], [2060, 0, 100, 8000, 0, 0, 0, 110]]))
  const end = sampleCpu(root)
  assert.equal(end.source, 'proc-stat')
  const window = cpuBetween(start, end, 2)
  assert.deepEqual(window.perCore, [
    { core: 0, busy: 0.5, user: 0.3, system: 0.2, iowait: 0.25, steal: 0 },
    { core: 1, busy: 0.6, user: 0.6, system: 0, iowait: 0, steal: 0.4 }
  ])
  assert.equal(window.source, 'proc-stat')
  assert.equal(window.capacity, 2)
})

test('a cpuset restricts the cores: only Cpus_allowed_list\'s cores are sampled, and capacity is their count', (t) => {
  assert.deepEqual(parseCpuList('0-3,5'), [0, 1, 2, 3, 5])
  assert.deepEqual(parseCpuList('7\n'), [7])
  assert.deepEqual(parseCpuList('2,0-1,1'), [0, 1, 2])
  assert.deepEqual(parseCpuList(''), [])
  assert.equal(parseCpuList('3-1'), null)
  assert.equal(parseCpuList('f'), null)

  const busyCores: Ticks[] = [0, 1, 2, 3].map((core) => [100 * core, 0, 0, 1000, 0, 0, 0, 0])
  const { root, write } = fixtureRoot(t, { 'proc/self/status': status('1,3'), 'proc/stat': procStat(busyCores) })
  assert.deepEqual(allowedCores(root), [1, 3])
  const start = sampleCpu(root)
  assert.deepEqual(start.cores.map((times) => times.core), [1, 3])
  // Every core: 50 more idle ticks; user +10 on cores 0-2, +50 on core 3.
  write('proc/stat', procStat(busyCores.map(([user, nice, system, idle, ...rest], core) =>
    [user + (core === 3 ? 50 : 10), nice, system, idle + 50, ...rest])))
  const window = cpuBetween(start, sampleCpu(root), cpuCapacity(root))
  assert.deepEqual(window.perCore.map(({ core, busy }) => ({ core, busy })), [{ core: 1, busy: 0.1667 }, { core: 3, busy: 0.5 }])
  assert.equal(cpuCapacity(root), 2)
  assert.deepEqual(cpuLimits(root), { cores: 2, cgroupCpuQuota: null })
  // No /proc/self/status (not Linux): every core.
  const bare = fixtureRoot(t, { 'proc/stat': procStat(busyCores) })
  assert.equal(allowedCores(bare.root), null)
  assert.equal(sampleCpu(bare.root).cores.length, 4)
})

test('cgroup v2 quota: the own cgroup from /proc/self/cgroup, the smallest limit up to the root, "max" = unlimited', (t) => {
  assert.deepEqual(parseProcCgroup('0::/a/b\n'), [{ id: '0', controllers: [], path: '/a/b' }])
  const nested = fixtureRoot(t, {
    'proc/self/cgroup': '0::/app.slice/conclab.service\n',
    'sys/fs/cgroup/app.slice/conclab.service/cpu.max': '150000 100000\n',
    'sys/fs/cgroup/app.slice/cpu.max': '50000 100000\n', // the parent's smaller limit binds the child
    'proc/self/status': status('0-3')
  })
  assert.equal(cgroupCpuQuota(nested.root), 0.5)
  assert.equal(cpuCapacity(nested.root), 0.5)
  const own = fixtureRoot(t, {
    'proc/self/cgroup': '0::/app.slice/conclab.service\n',
    'sys/fs/cgroup/app.slice/conclab.service/cpu.max': '150000 100000\n',
    'sys/fs/cgroup/app.slice/cpu.max': 'max 100000\n',
    'proc/self/status': status('0-3')
  })
  assert.equal(cgroupCpuQuota(own.root), 1.5)
  assert.equal(cpuCapacity(own.root), 1.5)
  const unlimited = fixtureRoot(t, {
    'proc/self/cgroup': '0::/user.slice\n',
    'sys/fs/cgroup/user.slice/cpu.max': 'max 100000\n',
    'proc/self/status': status('0-1')
  })
  assert.equal(cgroupCpuQuota(unlimited.root), null)
  assert.equal(cpuCapacity(unlimited.root), 2)
  // A quota above the cpuset: the cpuset binds.
  const wide = fixtureRoot(t, { 'proc/self/cgroup': '0::/\n', 'sys/fs/cgroup/cpu.max': '400000 100000\n', 'proc/self/status': status('0-1') })
  assert.equal(cgroupCpuQuota(wide.root), 4)
  assert.equal(cpuCapacity(wide.root), 2)
  // Inside a container without its own cgroup namespace: /proc says the host's path, the mount shows the container's.
  const container = fixtureRoot(t, { 'proc/self/cgroup': '0::/docker/0123abcd\n', 'sys/fs/cgroup/cpu.max': '100000 100000\n' })
  assert.equal(cgroupCpuQuota(container.root), 1)
  // Hybrid host: the unified hierarchy is mounted under /sys/fs/cgroup/unified.
  const hybrid = fixtureRoot(t, { 'proc/self/cgroup': '1:cpu:/\n0::/svc\n', 'sys/fs/cgroup/unified/svc/cpu.max': '25000 100000\n' })
  assert.equal(cgroupCpuQuota(hybrid.root), 0.25)
  // No cgroup files at all (not Linux): unknown.
  assert.equal(cgroupCpuQuota(fixtureRoot(t).root), null)
})

test('cgroup v1 quota: cpu.cfs_quota_us ÷ cpu.cfs_period_us under cpu,cpuacct or cpu, -1 = unlimited', (t) => {
  const combined = fixtureRoot(t, {
    'proc/self/cgroup': '12:memory:/docker/x\n4:cpu,cpuacct:/docker/x\n3:cpuset:/docker/x\n',
    'sys/fs/cgroup/cpu,cpuacct/docker/x/cpu.cfs_quota_us': '200000\n',
    'sys/fs/cgroup/cpu,cpuacct/docker/x/cpu.cfs_period_us': '100000\n',
    'sys/fs/cgroup/cpu,cpuacct/docker/cpu.cfs_quota_us': '-1\n',
    'sys/fs/cgroup/cpu,cpuacct/docker/cpu.cfs_period_us': '100000\n',
    'sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us': '-1\n',
    'sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us': '100000\n'
  })
  assert.equal(cgroupCpuQuota(combined.root), 2)
  const separate = fixtureRoot(t, {
    'proc/self/cgroup': '2:cpuacct:/svc\n1:cpu:/svc\n0::/\n',
    'sys/fs/cgroup/cpu/svc/cpu.cfs_quota_us': '75000\n',
    'sys/fs/cgroup/cpu/svc/cpu.cfs_period_us': '100000\n',
    'sys/fs/cgroup/cpu/cpu.cfs_quota_us': '-1\n',
    'sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000\n'
  })
  assert.equal(cgroupCpuQuota(separate.root), 0.75)
  const parentBinds = fixtureRoot(t, {
    'proc/self/cgroup': '4:cpu,cpuacct:/a/b\n',
    'sys/fs/cgroup/cpu,cpuacct/a/b/cpu.cfs_quota_us': '300000\n',
    'sys/fs/cgroup/cpu,cpuacct/a/b/cpu.cfs_period_us': '100000\n',
    'sys/fs/cgroup/cpu,cpuacct/a/cpu.cfs_quota_us': '100000\n',
    'sys/fs/cgroup/cpu,cpuacct/a/cpu.cfs_period_us': '100000\n'
  })
  assert.equal(cgroupCpuQuota(parentBinds.root), 1)
  const unlimited = fixtureRoot(t, {
    'proc/self/cgroup': '1:cpu:/\n',
    'sys/fs/cgroup/cpu/cpu.cfs_quota_us': '-1\n',
    'sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000\n'
  })
  assert.equal(cgroupCpuQuota(unlimited.root), null)
})

/** A clean 1 s window on two cores: the service kept 1.5 cores busy and nothing else ran. */
function cpuWindow (overrides: Partial<CpuWindow> = {}, cores: Array<Partial<CpuWindow['perCore'][number]>> = [{}, {}]): CpuWindow {
  const perCore = cores.map((core, index) => ({ core: index, busy: 0.75, user: 0.7, system: 0.05, iowait: 0, steal: 0, ...core }))
  return { windowMs: 1000, source: 'proc-stat', capacity: 2, userMs: 1400, systemMs: 100, totalMs: 1500, coresUsed: 1.5, utilization: 0.75, perCore, ...overrides }
}
const kinds = (warnings: string[]) => warnings.map((warning) => warning.slice(0, warning.indexOf(':')))

test('cpuWarnings: none for a clean window; steal above 2 % of the allowed cores\' time', () => {
  assert.deepEqual(cpuWarnings(cpuWindow()), [])
  assert.deepEqual(cpuWarnings(cpuWindow({}, [{ steal: 0.01 }, { steal: 0.02 }])), [], '1.5 % of the cores: under the limit')
  const warnings = cpuWarnings(cpuWindow({}, [{ steal: 0.06 }, { steal: 0.02 }]))
  assert.deepEqual(kinds(warnings), ['steal'])
  assert.match(warnings[0]!, /4\.0 % of the 2 allowed cores/)
  // Over 150 ms on 2 cores one tick per core is 0.133 cores: 10 % steal on one core is within the clock's resolution.
  assert.deepEqual(kinds(cpuWarnings(cpuWindow({ windowMs: 150, totalMs: 225 }, [{ steal: 0.1 }, {}]))), [])
})

test('cpuWarnings: other processes using more than 10 % of the capacity on the service\'s cores', () => {
  // The cores were busy 1.9 cores' worth, the service used 1.5: 0.4 cores = 20 % of 2.
  const warnings = cpuWarnings(cpuWindow({}, [{ busy: 0.95 }, { busy: 0.95 }]))
  assert.deepEqual(kinds(warnings), ['other load'])
  assert.match(warnings[0]!, /0\.4 cores busy .* 20\.0 % of its capacity of 2/)
  assert.deepEqual(cpuWarnings(cpuWindow({}, [{ busy: 0.8 }, { busy: 0.8 }])), [], '0.1 cores = 5 %: noise')
  // Against a cgroup quota of 0.5 cores, 0.1 cores of others is 20 %.
  assert.deepEqual(kinds(cpuWarnings(cpuWindow({ capacity: 0.5, coresUsed: 0.5, totalMs: 500 }, [{ busy: 0.3 }, { busy: 0.3 }]))), ['other load'])
})

test('cpuWarnings: a run too short for the 10 ms clock', () => {
  const warnings = cpuWarnings(cpuWindow({ windowMs: 80, totalMs: 120 }))
  assert.deepEqual(kinds(warnings), ['short window'])
  assert.match(warnings[0]!, /80 ms is under 100 ms/)
  assert.deepEqual(cpuWarnings(cpuWindow({ windowMs: 100, totalMs: 150 })), [])
})

test('cpuWarnings: impossible values are flagged — coresUsed above the summed busy by more than a tick per core, or above the allowed cores', () => {
  // The case: coresUsed 0.328 against 0.259 summed busy, over 1 s (resolution 0.02 cores).
  const over = cpuWarnings(cpuWindow({ coresUsed: 0.328, totalMs: 328 }, [{ busy: 0.13 }, { busy: 0.129 }]))
  assert.deepEqual(kinds(over), ['impossible'])
  assert.match(over[0]!, /coresUsed 0\.328 exceeds the 0\.259 cores/)
  // Within a tick per core of the busy sum: not flagged (0.01 over, resolution 0.02).
  assert.deepEqual(cpuWarnings(cpuWindow({ coresUsed: 1.51, totalMs: 1510 })), [])
  // The 80 ms inline run at 1.56 cores on cores busy 1.0 in all: short, and impossible even at 0.25 cores of resolution.
  assert.deepEqual(kinds(cpuWarnings(cpuWindow({ windowMs: 80, coresUsed: 1.56, totalMs: 124.8 }, [{ busy: 0.5 }, { busy: 0.5 }]))), ['short window', 'impossible'])
  // More cores than the service may run on.
  const tooMany = cpuWarnings(cpuWindow({ coresUsed: 2.3, totalMs: 2300 }, [{ busy: 1 }, { busy: 1 }]))
  assert.deepEqual(kinds(tooMany), ['impossible', 'impossible'])
  assert.match(tooMany[1]!, /exceeds the 2 cores the service may run on/)
})

test('cpuWarnings: per-core figures from os.cpus() say that steal cannot be seen', () => {
  assert.deepEqual(kinds(cpuWarnings(cpuWindow({ source: 'os-cpus' }))), ['no steal data'])
})

test('cpuBetween + cpuWarnings on samples: steal and other load seen through the sampler', () => {
  const core = (id: number, ticks: Partial<CoreTimes>): CoreTimes => ({ core: id, user: 0, nice: 0, system: 0, idle: 0, iowait: 0, irq: 0, softirq: 0, steal: 0, ...ticks })
  const start: CpuSample = { at: 0, process: { user: 0, system: 0 }, source: 'proc-stat', cores: [core(0, {}), core(1, {})] }
  // 1 s; the service used 1 core (1e6 µs); the cores were busy 1.5 cores' worth and lost 10 % to steal.
  const end: CpuSample = { at: 1000, process: { user: 900_000, system: 100_000 }, source: 'proc-stat', cores: [core(0, { user: 900, steal: 100 }), core(1, { user: 600, idle: 300, steal: 100 })] }
  const window = cpuBetween(start, end, 2)
  assert.equal(window.coresUsed, 1)
  assert.deepEqual(kinds(cpuWarnings(window)), ['steal', 'other load'])
})

test('metrics: conclab_cpu_seconds_total has the eight modes for the allowed cores only; cores, quota and child CPU', async (t) => {
  const { root, write } = fixtureRoot(t, {
    'proc/self/status': status('1-2'),
    'proc/self/cgroup': '0::/svc\n',
    'sys/fs/cgroup/svc/cpu.max': '150000 100000\n',
    'proc/stat': procStat([[0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0]])
  })
  const metrics = new ServiceMetrics({ scheduler: () => undefined, pool: undefined as never, modes: undefined as never, runtime: undefined as never, version: 'test', cpuRoot: root })
  write('proc/stat', procStat([[500, 0, 0, 0, 0, 0, 0, 0], [100, 1, 2, 3, 4, 5, 6, 7], [10, 20, 30, 40, 50, 60, 70, 80]]))
  const scrape = async (name: string) => parsePrometheusText(await metrics.registry.getSingleMetricAsString(name))
  const cpu = await scrape('conclab_cpu_seconds_total')
  assert.deepEqual([...new Set(cpu.map((sample) => sample.labels.core))], ['1', '2'], 'core 0 is outside the cpuset')
  assert.deepEqual(cpu.filter((sample) => sample.labels.core === '2').map((sample) => [sample.labels.mode, sample.value]), [
    ['user', 0.1], ['nice', 0.2], ['system', 0.3], ['idle', 0.4], ['iowait', 0.5], ['irq', 0.6], ['softirq', 0.7], ['steal', 0.8]
  ])
  assert.equal(valueOf(await scrape('conclab_cores'), 'conclab_cores'), 1.5)
  assert.equal(valueOf(await scrape('conclab_cgroup_cpu_quota_cores'), 'conclab_cgroup_cpu_quota_cores'), 1.5)
  assert.equal(valueOf(await scrape('conclab_child_cpu_seconds_total'), 'conclab_child_cpu_seconds_total'), 0)
  metrics.childCpu({ userMs: 1500, systemMs: 250 })
  metrics.childCpu({ userMs: 0, systemMs: 0 })
  assert.equal(valueOf(await scrape('conclab_child_cpu_seconds_total'), 'conclab_child_cpu_seconds_total'), 1.75)
})

test('a real job report: per-core entries for the allowed cores with iowait and steal, and its CPU warnings', async (t) => {
  const app = await buildTestApp(t)
  const job = await runJob(app, { workload: 'hash', mode: 'inline', tasks: 20, concurrency: 1 })
  const report = job.report!
  assert.ok(Array.isArray(report.warnings))
  const allowed = allowedCores() ?? report.cpu.perCore.map((core) => core.core)
  assert.deepEqual(report.cpu.perCore.map((core) => core.core), allowed)
  for (const core of report.cpu.perCore) {
    for (const share of [core.busy, core.user, core.system, core.iowait, core.steal]) assert.ok(share >= 0 && share <= 1, JSON.stringify(core))
    assert.ok(core.busy + core.iowait + core.steal <= 1.0001, JSON.stringify(core))
  }
  assert.equal(report.cpu.capacity, cpuCapacity())
  assert.equal(report.env.cores, allowed.length)
  for (const warning of cpuWarnings(report.cpu)) assert.ok(report.warnings.includes(warning), warning)
})
