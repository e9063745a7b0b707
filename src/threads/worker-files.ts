import { extname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Worker, type WorkerOptions } from 'node:worker_threads'

/** `.ts` under tsx (dev, tests), `.js` after `tsc`: worker files have the same extension as this module. */
const extension = extname(fileURLToPath(import.meta.url))

/** The entry file of a worker: `workers/<name>.ts` or `dist/workers/<name>.js`. */
export function workerFile (name: string): URL {
  return new URL(`../../workers/${name}${extension}`, import.meta.url)
}

/**
 * Starts a worker thread on a worker file. A raw `new Worker('x.ts')` fails under tsx (tsx issue 354: the loader
 * is not inherited by raw workers), so a `.ts` entry is loaded by a one-line bootstrap that registers tsx first.
 */
export function spawnThread (file: URL, options: WorkerOptions): Worker {
  if (extension !== '.ts') return new Worker(file, options)
  const tsx = import.meta.resolve('tsx/esm/api')
  const bootstrap = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(file.href)}) })`
  return new Worker(bootstrap, { ...options, eval: true })
}
