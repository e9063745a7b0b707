/**
 * The run's results as a terminal table, JSON and Markdown. Which files a run writes:
 *   full run (every benchmark, none failed) → bench/results/latest.json, latest.md and the two tables of
 *                                             BENCHMARKS.md (what each benchmark measures, the latest run)
 *   --only, or a full run with a failure    → bench/results/partial.json, partial.md (not committed)
 *   --quick                                 → bench/results/quick.json, quick.md (not committed); no verdicts
 *   --render                                → latest.md and BENCHMARKS.md again, from latest.json
 * So only a complete full run or an explicit --render rewrites tracked files.
 */
import { readFile, writeFile, mkdir } from 'node:fs/promises'
import { machineInfo } from '../src/measure/environment.js'
import { passes, type Definition, type Measure } from './benchmark.js'

const resultsDir = new URL('./results/', new URL('../../bench/', import.meta.url))
const benchmarksFile = new URL('../../BENCHMARKS.md', import.meta.url)
const BLOCKS = {
  latest: ['<!-- bench:latest:start -->', '<!-- bench:latest:end -->'],
  definitions: ['<!-- bench:definitions:start -->', '<!-- bench:definitions:end -->']
} as const

export interface RunResults {
  measures: Measure[]
  failures: Array<{ id: string, error: string }>
  quick: boolean
  /** every benchmark ran */
  complete: boolean
  durationSec: number
  /** what each benchmark that ran measures (a full run's settings) */
  definitions: Definition[]
}

export type ResultsName = 'latest' | 'partial' | 'quick'

/** Where a run's results go (see the file comment). */
export function resultsName (results: Pick<RunResults, 'quick' | 'complete' | 'failures'>): ResultsName {
  if (results.quick) return 'quick'
  return results.complete && results.failures.length === 0 ? 'latest' : 'partial'
}

export function format (value: number | null): string {
  if (value === null || !Number.isFinite(value)) return '—'
  const magnitude = Math.abs(value)
  if (Number.isInteger(value)) return value.toLocaleString('en-US')
  if (magnitude >= 1000) return Math.round(value).toLocaleString('en-US')
  if (magnitude >= 100) return value.toFixed(0)
  if (magnitude >= 10) return value.toFixed(1)
  return value.toFixed(magnitude >= 1 ? 2 : 3)
}

/** The verdict column: none at all for a quick run, which measures nothing. */
function verdict (measure: Measure, quick: boolean): string {
  const pass = quick ? null : passes(measure)
  return pass === null ? '—' : pass ? 'pass' : 'MISS'
}

function rows (measures: Measure[], quick: boolean): string[][] {
  return measures.map((measure) => [
    measure.id,
    measure.name,
    `${format(measure.ours)} ${measure.unit}`,
    measure.anchor === null ? '—' : `${format(measure.anchor)} ${measure.unit}${measure.anchorName ? ` (${measure.anchorName})` : ''}`,
    format(measure.ratio),
    measure.target ? `${measure.target.op} ${measure.target.value}` : '—',
    verdict(measure, quick)
  ])
}

const HEADER = ['id', 'measure', 'ours', 'anchor', 'ratio', 'target', 'pass']
const QUICK_HEADER = ['id', 'measure', 'ours', 'anchor', 'ratio', 'target', 'pass (not judged: quick)']

function textTable (header: string[], table: string[][]): string {
  const widths = header.map((_, column) => Math.max(...[header, ...table].map((row) => row[column]!.length)))
  return [header, ...table].map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()).join('\n')
}

function markdownTable (header: string[], table: string[][]): string {
  const escape = (cell: string) => cell.replaceAll('|', '\\|')
  return [header, header.map(() => '---'), ...table].map((row) => `| ${row.map(escape).join(' | ')} |`).join('\n')
}

function details (measures: Measure[]): string {
  return measures.filter((measure) => measure.detail)
    .map((measure) => `- **${measure.id}**: ${Object.entries(measure.detail!).map(([key, value]) => `${key} ${typeof value === 'number' ? format(value) : value}`).join(', ')}`)
    .join('\n')
}

interface MachineLine { cpuModel: string, cores: number, cgroupCpuQuota: number | null, node: string, platform: string }

function machineLine (machine: MachineLine): string {
  return `${machine.cpuModel}, ${machine.cores} cores${machine.cgroupCpuQuota === null ? '' : ` (cgroup quota ${machine.cgroupCpuQuota})`}, Node ${machine.node}, ${machine.platform}`
}

export function markdown (results: RunResults, date: string, machine: MachineLine): string {
  const failed = results.failures.map((failure) => `- **${failure.id} failed**: ${failure.error.split('\n')[0]}`).join('\n')
  return [
    `Run ${date}${results.quick ? ' (quick: proves the suite works, not speed; no verdicts)' : ''} on ${machineLine(machine)}; ${results.durationSec.toFixed(0)} s.`,
    '',
    markdownTable(results.quick ? QUICK_HEADER : HEADER, rows(results.measures, results.quick)),
    '',
    details(results.measures),
    failed
  ].join('\n').trimEnd() + '\n'
}

export function definitionsMarkdown (definitions: Definition[]): string {
  const table = definitions.map((definition) => [definition.id, definition.what, definition.anchor, definition.target])
  return markdownTable(['id', 'what (a full run)', 'anchor (same run)', 'target'], table) + '\n'
}

interface StoredResults extends RunResults {
  date: string
  machine: MachineLine
}

/**
 * Re-renders bench/results/latest.json (e.g. after a change to the Markdown layout) without running anything. A
 * latest.json from before definitions were stored gets them from the code (`current`).
 */
export async function renderLatest (current: Definition[]): Promise<void> {
  const json = JSON.parse(await readFile(new URL('latest.json', resultsDir), 'utf8')) as StoredResults
  const results = { ...json, definitions: json.definitions ?? current }
  const md = markdown(results, json.date, json.machine)
  await writeFile(new URL('latest.md', resultsDir), md)
  await refreshBenchmarksFile(md, definitionsMarkdown(results.definitions))
}

/** Writes the files (see the file comment) and returns the terminal table. */
export async function writeResults (results: RunResults): Promise<string> {
  const date = new Date().toISOString()
  const name = resultsName(results)
  const machine = machineInfo()
  await mkdir(resultsDir, { recursive: true })
  const json = {
    date,
    quick: results.quick,
    complete: results.complete,
    durationSec: results.durationSec,
    machine,
    definitions: results.definitions,
    measures: results.measures.map((measure) => ({ ...measure, pass: results.quick ? null : passes(measure) })),
    failures: results.failures
  }
  await writeFile(new URL(`${name}.json`, resultsDir), JSON.stringify(json, null, 2) + '\n')
  const md = markdown(results, date, machine)
  await writeFile(new URL(`${name}.md`, resultsDir), md)
  if (name === 'latest') await refreshBenchmarksFile(md, definitionsMarkdown(results.definitions))
  const table = textTable(results.quick ? QUICK_HEADER : HEADER, rows(results.measures, results.quick))
  const wrote = `bench/results/${name}.json and .md${name === 'latest' ? ' and BENCHMARKS.md' : ''}`
  return `${table}\n\n${machineLine(machine)}; ${results.durationSec.toFixed(0)} s; written to ${wrote}`
}

function replaceBlock (text: string, [start, end]: readonly [string, string], content: string): string {
  const from = text.indexOf(start)
  const to = text.indexOf(end)
  if (from < 0 || to < from) throw new Error(`BENCHMARKS.md lacks the ${start} … ${end} markers`)
  return `${text.slice(0, from + start.length)}\n${content}${text.slice(to)}`
}

export async function refreshBenchmarksFile (latest: string, definitions: string): Promise<void> {
  const text = await readFile(benchmarksFile, 'utf8')
  await writeFile(benchmarksFile, replaceBlock(replaceBlock(text, BLOCKS.latest, latest), BLOCKS.definitions, definitions))
}
