/**
 * `npm run bench [-- --only P3[,P5]] [-- --quick] [-- --render]`: runs the benchmarks against their anchors and prints
 * one table. A full run (every benchmark, none failed) writes bench/results/latest.* and refreshes BENCHMARKS.md; an
 * `--only` run writes bench/results/partial.*, a quick run quick.* (neither committed, neither touches BENCHMARKS.md);
 * `--render` re-renders latest.md and BENCHMARKS.md from latest.json (results.ts). Exit code 1 when a benchmark fails to
 * produce its numbers; a missed target is reported, not an error. A quick run judges nothing (CI runs it to prove the
 * suite works, never a speed).
 */
import { availableParallelism } from 'node:os'
import { parseArgs } from 'node:util'
import type { Benchmark, Measure } from './benchmark.js'
import { benchmarks } from './benchmarks.js'
import { renderLatest, writeResults } from './results.js'

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    quick: { type: 'boolean', default: false },
    render: { type: 'boolean', default: false }
  }
})

if (values.render) {
  await renderLatest(benchmarks.flatMap((benchmark) => benchmark.definitions()))
  console.log('re-rendered bench/results/latest.md and BENCHMARKS.md from bench/results/latest.json')
  process.exit(0)
}

const wanted = values.only?.split(',').map((id) => id.trim().toUpperCase())
const unknown = wanted?.filter((id) => !benchmarks.some((benchmark) => benchmark.id === id)) ?? []
if (unknown.length > 0) {
  console.error(`--only: unknown benchmark ${unknown.join(', ')}; known: ${benchmarks.map((benchmark) => benchmark.id).join(', ')}`)
  process.exit(2)
}
const selected: Benchmark[] = wanted ? benchmarks.filter((benchmark) => wanted.includes(benchmark.id)) : benchmarks

const started = performance.now()
const measures: Measure[] = []
const failures: Array<{ id: string, error: string }> = []
for (const benchmark of selected) {
  const benchStarted = performance.now()
  console.error(`${benchmark.id} ${benchmark.title}…`)
  try {
    measures.push(...await benchmark.run({ quick: values.quick, cores: availableParallelism(), log: (line) => console.error(line) }))
  } catch (error) {
    failures.push({ id: benchmark.id, error: (error as Error).stack ?? String(error) })
    console.error(`${benchmark.id} failed: ${(error as Error).stack}`)
  }
  console.error(`${benchmark.id} took ${((performance.now() - benchStarted) / 1000).toFixed(1)} s`)
}

const table = await writeResults({
  measures,
  failures,
  quick: values.quick,
  complete: !wanted,
  durationSec: (performance.now() - started) / 1000,
  definitions: selected.flatMap((benchmark) => benchmark.definitions())
})
console.log(table)
process.exit(failures.length > 0 || measures.some((measure) => !Number.isFinite(measure.ours)) ? 1 : 0)
