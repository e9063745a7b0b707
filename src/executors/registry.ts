import { asyncMode } from './async.js'
import { clusterMode } from './cluster.js'
import { inlineMode } from './inline.js'
import type { Config } from '../config.js'
import type { ModeDefinition } from './mode-definition.js'
import { poolMode } from './pool.js'
import { processesMode } from './processes.js'
import { threadsMode } from './threads.js'

/** The service's modes, in the order they are listed (the story: main thread → threads → pool → processes → more machines). */
export const BUILT_IN_MODES: readonly ModeDefinition[] = [inlineMode, asyncMode, threadsMode, poolMode, processesMode, clusterMode]

/** The mode every comparison is measured against (concurrency 1): it must be one the registry has. */
export const BASELINE_MODE = inlineMode.name

/**
 * The modes one app runs, by name. Built once per app from the built-in list (plus any a test adds): every
 * schema enum, limit, metric and listing that names modes reads it, so none of them lists modes by hand.
 */
export class ModeRegistry {
  readonly #byName = new Map<string, ModeDefinition>()

  constructor (definitions: readonly ModeDefinition[] = BUILT_IN_MODES) {
    for (const definition of definitions) {
      if (this.#byName.has(definition.name)) throw new Error(`mode '${definition.name}' is defined twice`)
      this.#byName.set(definition.name, definition)
    }
    if (!this.#byName.has(BASELINE_MODE)) throw new Error(`the registry needs the baseline mode '${BASELINE_MODE}'`)
  }

  get names (): string[] {
    return [...this.#byName.keys()]
  }

  get all (): ModeDefinition[] {
    return [...this.#byName.values()]
  }

  /** Modes this config cannot run, with why (GET /, and the 400 of a job in one). */
  unavailable (config: Config): Record<string, string> {
    return Object.fromEntries(this.all.flatMap((mode) => {
      const reason = mode.unavailable?.(config)
      return reason === undefined ? [] : [[mode.name, reason]]
    }))
  }

  /** The modes GET /work offers. */
  get singleTaskNames (): string[] {
    return this.all.filter((mode) => mode.singleTask).map((mode) => mode.name)
  }

  /**
   * The mode for work that must never hold up the event loop but should start at once (a timer fire's task): the
   * first that GET /work offers and that runs off the main thread (the warm pool).
   */
  get backgroundTaskMode (): string {
    const mode = this.all.find((definition) => definition.singleTask && !definition.mainThread)
    if (!mode) throw new Error('the registry has no single-task mode off the main thread (timers need one)')
    return mode.name
  }

  /** The definition of a mode the spec schema has already checked; throws for a name it does not have. */
  get (name: string): ModeDefinition {
    const definition = this.#byName.get(name)
    if (!definition) throw new Error(`no mode '${name}' in the registry (${this.names.join(', ')})`)
    return definition
  }
}
