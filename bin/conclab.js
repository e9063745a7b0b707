#!/usr/bin/env node
// conclab, the command-line client (src/cli/). Runs the compiled CLI (dist/src/cli/, made by `npm run build` or
// `npm start`) when it is there and no source file of src/cli/ is newer than its compiled copy; otherwise the
// TypeScript itself through tsx's API (a devDependency), so `npx conclab …` works right after `npm ci` with no
// build step. CONCLAB_FROM_SOURCE=1 forces the TypeScript.
import { existsSync, readdirSync, statSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = new URL('../', import.meta.url)
const sourceDir = new URL('src/cli/', root)
const compiledDir = new URL('dist/src/cli/', root)

function compiledIsCurrent () {
  if (process.env.CONCLAB_FROM_SOURCE === '1' || !existsSync(new URL('main.js', compiledDir))) return false
  return readdirSync(sourceDir).filter((name) => name.endsWith('.ts')).every((name) => {
    const compiled = new URL(name.replace(/\.ts$/, '.js'), compiledDir)
    return existsSync(compiled) && statSync(compiled).mtimeMs >= statSync(new URL(name, sourceDir)).mtimeMs
  })
}

if (compiledIsCurrent()) {
  await import(new URL('main.js', compiledDir).href)
} else {
  let register
  try {
    ({ register } = await import('tsx/esm/api'))
  } catch {
    process.stderr.write(`conclab: no build in ${fileURLToPath(compiledDir)} and no tsx to run the TypeScript: run npm run build (or npm ci)\n`)
    process.exit(1)
  }
  register()
  await import(new URL('main.ts', sourceDir).href)
}
