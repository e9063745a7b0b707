import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository root. */
export const repoRoot = fileURLToPath(new URL('../..', import.meta.url))

/** The manual: README.md, BENCHMARKS.md and every Markdown file under docs/, as paths relative to the root. */
export function docFiles (): string[] {
  const files = ['README.md', 'BENCHMARKS.md']
  const walk = (dir: string): void => {
    for (const entry of readdirSync(join(repoRoot, dir), { withFileTypes: true })) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) walk(path)
      else if (entry.name.endsWith('.md')) files.push(path)
    }
  }
  walk('docs')
  return files.sort()
}

export function readDoc (file: string): string {
  return readFileSync(join(repoRoot, file), 'utf8')
}

/**
 * A fenced code block. The markers are HTML comments on the line(s) right before the fence:
 *   <!-- not run: reason -->       the docs-blocks test skips it (slow, needs docker, autocannon, Grafana, …)
 *   <!-- expect errors: reason --> it demonstrates 4xx answers on purpose (5xx never pass)
 *   <!-- expect output: regex -->  its output (stdout and stderr) must match this regular expression
 */
export interface CodeBlock {
  file: string
  /** 1-based line of the opening fence */
  line: number
  lang: string
  code: string
  notRun?: string
  expectErrors?: string
  expectOutput?: RegExp
  /** comments before the fence that are none of the markers above (a typo would silently run or skip a block) */
  unknownMarkers: string[]
}

const SHELL = new Set(['sh', 'bash'])

export function isShell (block: CodeBlock): boolean {
  return SHELL.has(block.lang)
}

export function codeBlocks (file: string, text = readDoc(file)): CodeBlock[] {
  const lines = text.split('\n')
  const blocks: CodeBlock[] = []
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(```+)\s*([\w-]*)/.exec(lines[i]!)
    if (!open) continue
    const [, indent, fence, lang] = open
    const body: string[] = []
    let j = i + 1
    while (j < lines.length && !lines[j]!.startsWith(`${indent}${fence}`)) body.push(lines[j++]!.slice(indent!.length))
    const block: CodeBlock = { file, line: i + 1, lang: lang ?? '', code: body.join('\n'), unknownMarkers: [] }
    for (let k = i - 1; k >= 0 && /^\s*<!--.*-->\s*$/.test(lines[k]!); k--) {
      const notRun = /<!--\s*not run:\s*(.*?)\s*-->/.exec(lines[k]!)
      const expectErrors = /<!--\s*expect errors:\s*(.*?)\s*-->/.exec(lines[k]!)
      const expectOutput = /<!--\s*expect output:\s*(.*?)\s*-->/.exec(lines[k]!)
      if (notRun) block.notRun = notRun[1]
      if (expectErrors) block.expectErrors = expectErrors[1]
      if (expectOutput) block.expectOutput = new RegExp(expectOutput[1]!)
      if (!notRun && !expectErrors && !expectOutput) block.unknownMarkers.push(lines[k]!.trim())
    }
    blocks.push(block)
    i = j
  }
  return blocks
}

export function where (block: CodeBlock): string {
  return `${block.file}:${block.line}`
}

/**
 * Routes as the docs name them: a method and a path in one code span, Fastify style (`GET /jobs/:id`), with no
 * query string. Anything in this form anywhere in the manual is a claim that the route exists.
 */
export const ROUTE_MENTION = /`(GET|POST|PUT|PATCH|DELETE) (\/[A-Za-z0-9_:/.-]*)`/g

export function documentedRoutes (files = docFiles()): Map<string, string[]> {
  const found = new Map<string, string[]>()
  for (const file of files) {
    const text = readDoc(file)
    for (const match of text.matchAll(ROUTE_MENTION)) {
      const key = `${match[1]} ${match[2]}`
      const line = text.slice(0, match.index).split('\n').length
      found.set(key, [...(found.get(key) ?? []), `${relative(repoRoot, join(repoRoot, file))}:${line}`])
    }
  }
  return found
}

/** An OpenAPI path (`/jobs/{id}`) in the docs' form (`/jobs/:id`). */
export function fastifyPath (openApiPath: string): string {
  return openApiPath.replace(/\{([^}]+)\}/g, ':$1')
}
