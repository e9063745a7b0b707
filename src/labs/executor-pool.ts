/**
 * The caller thread's side of the executor lab's pool: `submit(i)` returns a plain Promise — Node's Future, what
 * piscina's `run()` returns — settled when a pool thread's completion for task i arrives on the run's
 * BroadcastChannel. A failed task rejects its promise with TaskFailed; whether anyone handles that rejection is up
 * to the collecting style (executor-styles.ts), and Node notices when nobody does ('unhandledRejection').
 */
import { BroadcastChannel } from 'node:worker_threads'
import type { Completion, TaskValue } from './executor-messages.js'
import { ExecutorQueue } from './executor-queue.js'

/** The exception a task raised, as its promise's rejection: it names the task, like Python's traceback would. */
export class TaskFailed extends Error {
  readonly index: number
  constructor (index: number, message: string) {
    super(message)
    this.name = 'TaskFailed'
    this.index = index
  }
}

interface Settle {
  resolve: (value: TaskValue) => void
  reject: (error: TaskFailed) => void
}

export class PoolClient {
  readonly #queue: ExecutorQueue
  readonly #channel: BroadcastChannel
  readonly #tasks: number
  #style = 0
  #settles = new Map<number, Settle>()
  #finished = 0
  #drained: Array<() => void> = []

  constructor (queue: SharedArrayBuffer, channel: string, tasks: number) {
    this.#queue = new ExecutorQueue(queue)
    this.#tasks = tasks
    this.#channel = new BroadcastChannel(channel)
    this.#channel.onmessage = (event) => this.#complete(event.data as Completion)
  }

  /** The tasks submitted from now on belong to style number `style` (the previous style has drained). */
  beginStyle (style: number): void {
    this.#style = style
    this.#settles = new Map()
    this.#finished = 0
  }

  /** Like executor.submit(task, i): task i goes on the queue; its promise settles with its outcome. */
  submit (index: number): Promise<TaskValue> {
    const future = new Promise<TaskValue>((resolve, reject) => this.#settles.set(index, { resolve, reject }))
    this.#queue.submit(this.#style, index)
    return future
  }

  #complete (completion: Completion): void {
    const settle = this.#settles.get(completion.index)
    if (completion.style !== this.#style || !settle) return
    if (completion.ok) settle.resolve(completion.value)
    else settle.reject(new TaskFailed(completion.index, completion.error))
    if (++this.#finished === this.#tasks) for (const done of this.#drained.splice(0)) done()
  }

  /** Every task of the style has finished (executor.shutdown(wait=True)); resolves after their promises settled. */
  drained (): Promise<void> {
    if (this.#finished === this.#tasks) return Promise.resolve()
    return new Promise((resolve) => this.#drained.push(resolve))
  }

  /** What the tasks themselves counted: how many ran, how many threw. */
  counted (): { started: number, raised: number } {
    return this.#queue.read(this.#style)
  }

  close (): void {
    this.#channel.close()
  }
}
