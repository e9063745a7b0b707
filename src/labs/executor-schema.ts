/**
 * POST /labs/executor: the request (limits from config) and the answer — the Node run and, with cpython: true,
 * python/executor.py's run of the same tasks, field for field where the figure is the same.
 */
import { Type, type Static, type TSchema } from 'typebox'
import type { Config } from '../config.js'
import { cpythonAnswerSchema, cpythonRequestSchema } from '../cpython/cpython-schema.js'
import { StringEnum } from '../schema-helpers.js'
import { EXECUTOR_STYLES } from './executor-messages.js'

/** Tasks of one run, whatever LAB_MAX_OPERATIONS allows: three orders of a thousand indices are already long. */
export const MAX_TASKS = 1000
/** One task's longest sleep. */
export const MAX_TASK_MS = 10_000
export const DEFAULT_TASKS = 8

export function executorBodySchema (config: Config) {
  const maxTasks = Math.min(config.LAB_MAX_OPERATIONS, MAX_TASKS)
  return Type.Object({
    workers: Type.Integer({ minimum: 1, maximum: config.LAB_MAX_WORKERS, default: 4, description: 'threads of the pool (ThreadPoolExecutor(max_workers=…)) (LAB_MAX_WORKERS)' }),
    tasks: Type.Optional(Type.Integer({ minimum: 1, maximum: maxTasks, description: `tasks submitted per style, default ${DEFAULT_TASKS}, at most ${maxTasks} (LAB_MAX_OPERATIONS); with durationsMs, its length` })),
    minMs: Type.Integer({ minimum: 0, maximum: MAX_TASK_MS, default: 20, description: 'shortest task: each task sleeps a seeded duration in [minMs, maxMs]' }),
    maxMs: Type.Integer({ minimum: 0, maximum: MAX_TASK_MS, default: 200, description: 'longest task (>= minMs)' }),
    seed: Type.Integer({ minimum: 0, maximum: 4_294_967_295, default: 1, description: 'seeds the durations' }),
    durationsMs: Type.Optional(Type.Array(Type.Integer({ minimum: 0, maximum: MAX_TASK_MS }), {
      minItems: 1, maxItems: maxTasks, description: 'the tasks\' durations, in submission order, instead of seeded ones (then tasks, minMs, maxMs and seed are not used)'
    })),
    failEvery: Type.Integer({ minimum: 0, maximum: maxTasks, default: 4, description: 'every failEvery-th task throws after its sleep (4: tasks 3, 7, …); 0: none' }),
    styles: Type.Array(StringEnum(EXECUTOR_STYLES), {
      minItems: 1,
      maxItems: EXECUTOR_STYLES.length,
      uniqueItems: true,
      default: [...EXECUTOR_STYLES],
      description: 'how the caller collects, one after another on the same tasks: map (results in submission order), as-completed (each as it ends), fire-and-forget (submit and never ask)'
    }),
    unhandledRejections: StringEnum(['listen', 'default'] as const, {
      default: 'listen',
      description: 'listen: the caller thread has an \'unhandledRejection\' listener, which counts them (reportedByRuntime); default: none, as Node runs by default (--unhandled-rejections=throw): the first unhandled rejection ends the caller thread (callerDied)'
    }),
    cpython: cpythonRequestSchema()
  }, { additionalProperties: false })
}
export type ExecutorBody = Static<ReturnType<typeof executorBodySchema>>

const nullableMs = (description: string) => Type.Union([Type.Number(), Type.Null()], { description })

/** The figures both runs report for one style. */
function styleFields () {
  return {
    style: StringEnum(EXECUTOR_STYLES),
    firstResultMs: nullableMs('submission → the first outcome (a value or an exception) the caller received; null when it asked for none'),
    allResultsMs: nullableMs('submission → the caller stopped collecting: every outcome in, or (map) the exception that ended its loop; null for fire-and-forget'),
    drainedMs: Type.Number({ description: 'submission → every task has finished (Python: leaving `with ThreadPoolExecutor(...)`, shutdown(wait=True))' }),
    order: Type.Array(Type.Integer(), { description: 'the tasks whose outcome the caller received, in the order it received them' }),
    results: Type.Integer({ description: 'values received' }),
    exceptionsRaised: Type.Integer({ description: 'tasks that threw (each task counts its own throw)' }),
    exceptionsSeen: Type.Integer({ description: 'exceptions the caller caught' }),
    exceptionsLost: Type.Integer({ description: 'raised − seen: exceptions no code of the caller ever caught' }),
    tasksRun: Type.Integer(),
    cancelled: Type.Integer({ description: 'tasks that never ran: Python\'s map cancels those not started when its loop ends with an exception; a promise cannot be cancelled' })
  }
}

function reportFields<S extends TSchema> (style: S) {
  return {
    workers: Type.Integer(),
    tasks: Type.Integer(),
    durationsMs: Type.Array(Type.Integer(), { description: 'each task\'s sleep, in submission order' }),
    failing: Type.Array(Type.Integer(), { description: 'the tasks that throw' }),
    styles: Type.Array(style)
  }
}

export const CpythonExecutorSchema = Type.Object({
  ...reportFields(Type.Object({
    ...styleFields(),
    reportedByRuntime: Type.Integer({ description: 'lines CPython wrote to stderr about the tasks\' exceptions: none — a Future keeps its exception, and drops it with it' })
  })),
  ms: Type.Number({ description: 'every style, start to end' })
})
export type CpythonExecutorReport = Static<typeof CpythonExecutorSchema>

/** One style as the Node run reports it: the shared figures and Node's two rejection events. */
export const ExecutorStyleSchema = Type.Object({
  ...styleFields(),
  reportedByRuntime: Type.Integer({ description: '\'unhandledRejection\' events in the caller thread: a rejected promise nobody had handled by the end of that turn (without a listener, the first would end the thread)' }),
  handledLater: Type.Integer({ description: '\'rejectionHandled\' events: one of those handled after all, later (an in-order loop reaching it)' })
})
export type ExecutorStyleReport = Static<typeof ExecutorStyleSchema>

export const ExecutorReportSchema = Type.Object({
  ...reportFields(ExecutorStyleSchema),
  callerDied: Type.Union([Type.Object({
    style: StringEnum(EXECUTOR_STYLES, { description: 'the style it was collecting' }),
    error: Type.String({ description: 'what ended it: the unhandled rejection, e.g. task 3 failed' })
  }), Type.Null()], { description: 'unhandledRejections default: the caller thread was ended by the first unhandled rejection (styles holds those it finished before); null otherwise' }),
  startupMs: Type.Number({ description: 'spawn → every thread (pool and caller) waiting at its start gate' }),
  ms: Type.Number({ description: 'gates open → every thread has exited: every style' }),
  cpython: cpythonAnswerSchema(CpythonExecutorSchema)
})

/** The Node run's report: the answer without its `cpython` field (the route adds that). */
export type ExecutorReport = Omit<Static<typeof ExecutorReportSchema>, 'cpython'>
