import { SingleBar } from 'cli-progress'
import type { Progress } from '../jobs/job.js'

/**
 * A job's progress on stderr: a cli-progress bar when stderr is a terminal (redrawn in place, with ETA and the
 * current row's tasks/s), plain lines at most once a second otherwise (CI logs, pipes: no escape codes), or
 * nothing with --quiet. stdout stays for the results.
 */
export interface ProgressDisplay {
  start: (label: string, total: number) => void
  update: (progress: Progress) => void
  stop: () => void
}

const PLAIN_EVERY_MS = 1000

export function progressDisplay (stream: NodeJS.WriteStream, { quiet = false }: { quiet?: boolean } = {}): ProgressDisplay {
  if (quiet) return { start () {}, update () {}, stop () {} }
  return stream.isTTY ? barDisplay(stream) : plainDisplay(stream)
}

const rateOf = (progress: Progress, startedAt: number) => {
  const row = progress.latest?.tasksPerSec
  const elapsed = (performance.now() - startedAt) / 1000
  const rate = row ?? (elapsed > 0 ? progress.done / elapsed : 0)
  return Math.round(rate)
}

function barDisplay (stream: NodeJS.WriteStream): ProgressDisplay {
  let bar: SingleBar | undefined
  let startedAt = 0
  return {
    start (label, total) {
      startedAt = performance.now()
      bar = new SingleBar({
        stream,
        format: `${label} {bar} {percentage}% | {value}/{total} tasks | {failed} failed | {rate} tasks/s | ETA {eta_formatted}`,
        barCompleteChar: '\u2588',
        barIncompleteChar: '\u2591',
        hideCursor: true,
        barsize: 24,
        etaBuffer: 20,
        fps: 10
      })
      bar.start(total, 0, { failed: 0, rate: 0 })
    },
    update (progress) {
      bar?.update(progress.done + progress.failed, { failed: progress.failed, rate: rateOf(progress, startedAt) })
    },
    stop () {
      bar?.stop()
      bar = undefined
    }
  }
}

function plainDisplay (stream: NodeJS.WriteStream): ProgressDisplay {
  let label = ''
  let startedAt = 0
  let lastAt = 0
  let last: Progress | undefined
  const line = (progress: Progress) => {
    const finished = progress.done + progress.failed
    const percent = progress.total > 0 ? Math.floor(100 * finished / progress.total) : 100
    stream.write(`${label}: ${finished}/${progress.total} tasks (${percent}%), ${progress.failed} failed, ${rateOf(progress, startedAt)} tasks/s\n`)
  }
  return {
    start (name) {
      label = name
      startedAt = lastAt = performance.now()
      last = undefined
    },
    update (progress) {
      last = progress
      const now = performance.now()
      if (now - lastAt < PLAIN_EVERY_MS) return
      lastAt = now
      line(progress)
    },
    stop () {
      if (last) line(last)
    }
  }
}
