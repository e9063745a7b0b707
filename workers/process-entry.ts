/**
 * A child process of a `processes` job. Tasks arrive over IPC in chunks (`batch` indices); outcomes go back in
 * batches with this process's own CPU time, which the parent cannot measure for it.
 *
 *   parent: fork ─▶ 'init' (job) ─▶ child: 'ready' ─▶ [parent: 'warm' ─▶ child: warm-up tasks … 'warmed']
 *   parent: 'run' [indices] ─▶ child: 'outcomes' … chunkDone
 *   parent: 'stop' ─▶ child: 'bye' (final CPU) and exit
 *
 * The parent sends the next chunk before this one is done, so chunks (and the stop) queue up here and run in order.
 */
import type { ChildToMain, CpuTimes, JobContext, MainToChild } from '../src/executors/messages.js'
import { OutcomeBuffer } from '../src/executors/outcome-buffer.js'
import { crashIfAsked, runTask } from '../src/executors/run-task.js'
import { warmInPlace } from '../src/executors/warm-in-place.js'
import { watchParent } from '../src/threads/parent-watch.js'

// First: a child whose parent is gone leaves even while it computes (its event loop would notice only afterwards).
watchParent()

const label = `pid ${process.pid}`
let job: JobContext | undefined
/** the chunks received so far, run one after another */
let queue: Promise<void> = Promise.resolve()

function send (message: ChildToMain): void {
  process.send!(message)
}

function cpu (): CpuTimes {
  const usage = process.cpuUsage()
  return { userMs: usage.user / 1000, systemMs: usage.system / 1000 }
}

/** when the chunk before ended: a chunk that arrived while another ran was due only then (its slot was busy) */
let lastChunkEndedAt = 0

async function runChunk (current: JobContext, indices: number[], handedOutAt: number, inputs?: Uint8Array[]): Promise<void> {
  const buffer = new OutcomeBuffer((outcomes) => send({ type: 'outcomes', outcomes, cpu: cpu(), chunkDone: false }))
  const dueAt = Math.max(handedOutAt, lastChunkEndedAt)
  for (const [position, index] of indices.entries()) {
    if (current.crashAtTask === index) buffer.flush()
    crashIfAsked(current, index)
    const outcome = await runTask(current, index, label, undefined, inputs?.[position])
    outcome.dueAt = dueAt
    buffer.push(outcome)
  }
  lastChunkEndedAt = performance.timeOrigin + performance.now()
  // The last message of a chunk always carries chunkDone, so the parent knows to send the next chunk.
  send({ type: 'outcomes', outcomes: buffer.drain(), cpu: cpu(), chunkDone: true })
}

process.on('message', (message: MainToChild) => {
  switch (message.type) {
    case 'init':
      job = message.job
      send({ type: 'ready', cpu: cpu() })
      break
    case 'warm': {
      const ask = message
      queue = queue.then(async () => {
        await warmInPlace(job!, ask, label, (outcomes) => send({ type: 'outcomes', outcomes, cpu: cpu(), chunkDone: false }), () => false)
        send({ type: 'warmed', cpu: cpu() })
      })
      queue.catch((error) => { throw error })
      break
    }
    case 'run': {
      const { indices, dueAt, inputs } = message
      queue = queue.then(() => runChunk(job!, indices, dueAt, inputs))
      queue.catch((error) => { throw error })
      break
    }
    case 'stop':
      queue = queue.then(() => {
        send({ type: 'bye', cpu: cpu() })
        process.disconnect()
      })
      break
  }
})
process.on('disconnect', () => process.exit(0))
