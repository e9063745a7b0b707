import { existsSync, readFileSync } from 'node:fs'

/** package.json, found upward from this module (src/ under tsx, dist/src/ after the build). */
function readPackage (): { name: string, version: string } {
  for (let up = new URL('../package.json', import.meta.url), level = 0; level < 3; level++) {
    if (existsSync(up)) return JSON.parse(readFileSync(up, 'utf8'))
    up = new URL('../package.json', new URL('.', up))
  }
  return { name: 'concurrency-lab', version: '0.0.0' }
}

export const servicePackage = readPackage()
