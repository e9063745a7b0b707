/** The run's results as a terminal table, JSON and Markdown; a full run also refreshes BENCHMARKS.md. */
import { readFile, writeFile, mkdir } from 'node:fs/promises'
import { machineInfo } from '../src/measure/environment.js'
import { passes, type Measure } from './benchmark.js'

const resultsDir = new URL('./results/', new URL('../../bench/', import.meta.url))
const benchmarksFile = new URL('../../BENCHMARKS.md', import.meta.url)
const START = '<!-- bench:latest:start -->'
const END = '<!-- bench:latest:end -->'

export interface RunResults {
  measures: Measure[]
  failures: Array<{ id: string, error: string }>
  quick: boolean
  /** every benchmark ran */
  complete: boolean
  durationSec: number
}

function format (value: number | null): string {
  if (value === null || !Number.isFinite(value)) return '—'
  const magnitude = Math.abs(value)
  if (Number.isInteger(value)) return value.toLocaleString('en-US')
  if (magnitude >= 1000) return Math.round(value).toLocaleString('en-US')
  if (magnitude >= 100) return value.toFixed(0)
  if (magnitude >= 10) return value.toFixed(1)
  return value.toFixed(magnitude >= 1 ? 2 : 3)
}

function rows (measures: Measure[]): string[][] {
  return measures.map((measure) => {
    const pass = passes(measure)
    return [
      measure.id,
      measure.name,
      `${format(measure.ours)} ${measure.unit}`,
      measure.anchor === null ? '—' : `${format(measure.anchor)} ${measure.unit}${measure.anchorName ? ` (${measure.anchorName})` : ''}`,
      format(measure.ratio),
      measure.target ? `${measure.target.op} ${measure.target.value}` : '—',
      pass === null ? '—' : pass ? 'pass' : 'MISS'
    ]
  })
}

const HEADER = ['id', 'measure', 'ours', 'anchor', 'ratio', 'target', 'pass']

function textTable (table: string[][]): string {
  const widths = HEADER.map((_, column) => Math.max(...[HEADER, ...table].map((row) => row[column]!.length)))
  return [HEADER, ...table].map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()).join('\n')
}

function markdownTable (table: string[][]): string {
  const escape = (cell: string) => cell.replaceAll('|', '\\|')
  return [HEADER, HEADER.map(() => '---'), ...table].map((row) => `| ${row.map(escape).join(' | ')} |`).join('\n')
}

function details (measures: Measure[]): string {
  return measures.filter((measure) => measure.detail)
    .map((measure) => `- **${measure.id}**: ${Object.entries(measure.detail!).map(([key, value]) => `${key} ${typeof value === 'number' ? format(value) : value}`).join(', ')}`)
    .join('\n')
}

function machineLine (): string {
  const machine = machineInfo()
  return `${machine.cpuModel}, ${machine.cores} cores${machine.cgroupCpuQuota === null ? '' : ` (cgroup quota ${machine.cgroupCpuQuota})`}, Node ${machine.node}, ${machine.platform}`
}

export function markdown (results: RunResults, date: string): string {
  const failed = results.failures.map((failure) => `- **${failure.id} failed**: ${failure.error.split('\n')[0]}`).join('\n')
  return [
    `Run ${date}${results.quick ? ' (quick: proves the suite works, not speed)' : ''} on ${machineLine()}; ${results.durationSec.toFixed(0)} s.`,
    '',
    markdownTable(rows(results.measures)),
    '',
    details(results.measures),
    failed
  ].join('\n').trimEnd() + '\n'
}

/** Re-renders bench/results/latest.json (e.g. after a change to the Markdown layout) without running anything. */
export async function renderLatest (): Promise<void> {
  const json = JSON.parse(await readFile(new URL('latest.json', resultsDir), 'utf8')) as RunResults & { date: string }
  const md = markdown(json, json.date)
  await writeFile(new URL('latest.md', resultsDir), md)
  if (json.complete && !json.quick && json.failures.length === 0) await refreshBenchmarksFile(md)
}

/** Writes the files and returns the terminal table. */
export async function writeResults (results: RunResults): Promise<string> {
  const date = new Date().toISOString()
  const name = results.quick ? 'quick' : 'latest'
  await mkdir(resultsDir, { recursive: true })
  const json = {
    date,
    quick: results.quick,
    complete: results.complete,
    durationSec: results.durationSec,
    machine: machineInfo(),
    measures: results.measures.map((measure) => ({ ...measure, pass: passes(measure) })),
    failures: results.failures
  }
  await writeFile(new URL(`${name}.json`, resultsDir), JSON.stringify(json, null, 2) + '\n')
  const md = markdown(results, date)
  await writeFile(new URL(`${name}.md`, resultsDir), md)
  if (!results.quick && results.complete && results.failures.length === 0) await refreshBenchmarksFile(md)
  return `${textTable(rows(results.measures))}\n\n${machineLine()}; ${results.durationSec.toFixed(0)} s; written to bench/results/${name}.json and .md`
}

export async function refreshBenchmarksFile (md: string): Promise<void> {
  const text = await readFile(benchmarksFile, 'utf8')
  const start = text.indexOf(START)
  const end = text.indexOf(END)
  if (start < 0 || end < start) throw new Error(`BENCHMARKS.md lacks the ${START} … ${END} markers`)
  await writeFile(benchmarksFile, `${text.slice(0, start + START.length)}\n${md}${text.slice(end)}`)
}
