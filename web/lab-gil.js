// The GIL lab's answer: one table of its four parts, the Node run under the emulated GIL beside CPython's run of
// python/gil.py with the same parameters (a column each): how long a thread holds the lock per thread count, an I/O
// thread's round trip alone vs beside one CPU thread (the convoy), N CPU threads' speedup, and a counter thread's
// pace beside C code that releases the lock, keeps it, and beside pure CPU work (also as bars).

import { bars, el, ms, num, pct, table } from './dom.js'
import { cpythonBlock, pythonName } from './lab-cpython.js'

const times = (value) => (value === null || value === undefined ? '–' : `×${num(value)}`)

/** The table's rows: [figure, Node's cell, CPython's cell?] (CPython's result is undefined when it did not run). */
function rows (node, python) {
  const both = (label, cell, pythonCell = cell) => (python ? [label, cell(node), pythonCell(python)] : [label, cell(node)])
  const hold = (threads) => (result) => {
    const row = result.hold.find((one) => one.threads === threads)
    return row ? `median ${ms(row.medianHoldMs)} (mean ${ms(row.meanHoldMs)}, ${row.switches} switches)` : '–'
  }
  const phase = (name) => (result) => {
    const row = result.release.phases.find((one) => one.phase === name)
    return row ? `${num(row.counterShare)}${row.calls > 0 ? ` (${row.calls} sha256 calls)` : ''}` : '–'
  }
  return [
    ...node.hold.map((row) => both(`hold, ${row.threads} threads`, hold(row.threads))),
    both('I/O round alone (p50)', (result) => ms(result.convoy.alone.p50)),
    both('I/O round beside a CPU thread (p50)', (result) => `${ms(result.convoy.besideCpu.p50)} (+${ms(result.convoy.addedMs)})`),
    both(`speedup, ${node.speedup.threads} CPU threads`, (result) => `${times(result.speedup.speedup)} (1 thread ${ms(result.speedup.oneThreadMs)}, all ${ms(result.speedup.allThreadsMs)})`),
    both('speedup without a GIL', (result) => `${times(result.speedup.withoutGil.speedup)} (all ${ms(result.speedup.withoutGil.allThreadsMs)})`,
      () => 'no lock to switch off (free-threaded 3.13t only)'),
    ...node.release.phases.map((row) => both(`counter's pace, ${row.phase}`, phase(row.phase)))
  ]
}

/** A counter thread's pace beside each phase of the release comparison, as bars (what each phase runs: phaseList). */
function releaseBars (release, label) {
  return bars(release.phases.map((row) => ({
    label: row.phase,
    share: row.counterShare,
    text: `${pct(row.counterShare)} of its pace alone${row.calls > 0 ? `, ${row.calls} sha256 calls` : ''}`
  })), label)
}

const phaseList = (release) => el('ul', {}, release.phases.map((row) => el('li', {}, el('strong', {}, row.phase), ` — ${row.what}`)))

export function gilPicture (result) {
  const python = result.cpython?.ran ? result.cpython.result : undefined
  const headings = ['', 'Node, emulated GIL', ...(python ? [pythonName(result.cpython.python)] : [])]
  return [
    el('p', {}, `Switch interval ${num(result.switchIntervalMs, 'ms')}, ${result.cores} cores; I/O rounds of ${num(result.convoy.ioMs, 'ms')} × ${result.convoy.rounds}, release phases over ${result.release.bytes} bytes a sha256 call.`),
    table(python ? 'The GIL\'s lessons, Node beside CPython' : 'The GIL\'s lessons (tick cpython to run CPython beside them)', headings, rows(result, python), { id: 'lab-gil-table' }),
    el('ul', { class: 'meanings' },
      el('li', {}, el('strong', {}, 'hold'), ' — a thread keeps the lock about one switch interval, however many threads wait.'),
      el('li', {}, el('strong', {}, 'convoy'), ' — beside one CPU-bound thread every I/O round waits about one switch interval for the lock, however fast the I/O was.'),
      el('li', {}, el('strong', {}, 'speedup'), ' — ≈ 1 under the GIL: CPU threads take turns; without it, up to the cores.'),
      el('li', {}, el('strong', {}, 'release'), ' — ≈ 1 beside C code that drops the lock (hashlib ≥ 2 KiB), ≈ 0 beside C code that keeps it, ≈ 0.5 beside pure Python (turns).')),
    el('p', {}, 'A counter thread\'s pace beside each phase of the release comparison, Node:'),
    releaseBars(result.release, 'counter thread\'s pace per phase, Node'),
    el('details', {}, el('summary', {}, 'What each phase runs, Node'), phaseList(result.release)),
    cpythonBlock(result.cpython, 'lab-gil-cpython', (cpython) => [
      releaseBars(cpython.release, 'counter thread\'s pace per phase, CPython'),
      el('details', {}, el('summary', {}, 'What each phase runs, CPython'), phaseList(cpython.release)),
      el('details', {}, el('summary', {}, 'How CPython\'s figures are measured'),
        el('ul', {}, Object.entries(cpython.method ?? {}).map(([part, how]) => el('li', {}, el('strong', {}, part), ` — ${how}`))))
    ])
  ]
}
