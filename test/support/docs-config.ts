/**
 * The configuration table of docs/configuration.md, derived from ConfigSchema (src/config.ts): one row per variable
 * with its default and its range as the schema has them. test/docs-config.test.ts compares the page against it;
 * `npx tsx test/support/docs-config.ts` prints the whole table (meaning = the schema's description) to paste.
 */
import { fileURLToPath } from 'node:url'
import { ConfigSchema } from '../../src/config.js'

interface PropertySchema {
  type?: string
  default?: unknown
  minimum?: number
  maximum?: number
  enum?: unknown[]
  anyOf?: Array<{ const?: unknown }>
  pattern?: string
  description?: string
}

export interface ConfigRow { variable: string, default: string, range: string, meaning: string }

const UNITS: Array<[number, string]> = [[2 ** 50, 'PiB'], [2 ** 40, 'TiB'], [2 ** 30, 'GiB'], [2 ** 20, 'MiB']]

/** 16777216 → `16 777 216 (16 MiB)`; 2⁵⁰ → `1 125 899 906 842 624 (1 PiB)`; 65536 → `65 536`; 3000 → `3000`. */
export function formatNumber (value: number): string {
  const grouped = value < 10_000 ? String(value) : String(value).replace(/\B(?=(\d{3})+(?!\d))/g, ' ')
  const unit = UNITS.find(([size]) => value >= size && value % size === 0)
  return unit ? `${grouped} (${value / unit[0]} ${unit[1]})` : grouped
}

function enumValues (schema: PropertySchema): unknown[] | undefined {
  return schema.enum ?? schema.anyOf?.map((member) => member.const)
}

const code = (value: unknown) => `\`${String(value)}\``

/** A description may say the default is computed from the machine: `… (default: available parallelism)`. */
const COMPUTED_DEFAULT = /\(default: ([^)]+)\)/

export function expectedRow (variable: string, schema: PropertySchema): ConfigRow {
  const computed = COMPUTED_DEFAULT.exec(schema.description ?? '')
  const values = enumValues(schema)
  let defaultCell: string
  if (computed) defaultCell = `${computed[1]} (computed at start-up)`
  else if (schema.default === undefined) defaultCell = 'unset'
  else if (typeof schema.default === 'number') defaultCell = formatNumber(schema.default)
  else defaultCell = code(schema.default)
  let range: string
  if (values) range = values.map(code).join(', ')
  else if (schema.minimum !== undefined && schema.maximum !== undefined) range = `${formatNumber(schema.minimum)} … ${formatNumber(schema.maximum)}`
  else if (schema.pattern) range = `a string matching ${code(schema.pattern)}`
  else range = 'any string'
  return { variable, default: defaultCell, range, meaning: (schema.description ?? '').replace(COMPUTED_DEFAULT, '').trim() }
}

export function expectedRows (): ConfigRow[] {
  const properties = ConfigSchema.properties as unknown as Record<string, PropertySchema>
  return Object.entries(properties).map(([variable, schema]) => expectedRow(variable, schema))
}

export function renderTable (rows: ConfigRow[]): string {
  const escape = (text: string) => text.replaceAll('|', '\\|')
  return [
    '| variable | default | range | meaning |',
    '|---|---|---|---|',
    ...rows.map((row) => `| \`${row.variable}\` | ${escape(row.default)} | ${escape(row.range)} | ${escape(row.meaning)} |`)
  ].join('\n')
}

/** The table rows of a Markdown table between the page's `<!-- config:start -->` and `<!-- config:end -->`. */
export function documentedRows (page: string): ConfigRow[] {
  const start = page.indexOf('<!-- config:start -->')
  const end = page.indexOf('<!-- config:end -->')
  if (start < 0 || end < start) throw new Error('docs/configuration.md has no <!-- config:start --> … <!-- config:end --> table')
  const cells = (line: string) => line.slice(1, -1).split(/(?<!\\)\|/).map((cell) => cell.trim().replaceAll('\\|', '|'))
  return page.slice(start, end).split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((line) => {
      const [variable = '', defaultCell = '', range = '', meaning = ''] = cells(line)
      return { variable: variable.replaceAll('`', ''), default: defaultCell, range, meaning }
    })
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(renderTable(expectedRows()))
