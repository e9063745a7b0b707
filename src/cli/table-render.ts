import Table from 'cli-table3'

/**
 * One table model, three renderings: a boxed terminal table (cli-table3, the library autocannon draws its tables
 * with), a Markdown table (--md) and CSV (--csv, RFC 4180 quoting). Numbers are right-aligned. No colours: the
 * output is the same on a terminal, in a pipe and in a CI log.
 */
export interface TableModel {
  head: string[]
  rows: string[][]
  /** column alignment; default: left for the first column, right for the others */
  align?: Array<'left' | 'right'>
  /** no rule between rows (long lists) */
  compact?: boolean
}

export type OutputFormat = 'table' | 'md' | 'csv' | 'json'

const alignOf = (model: TableModel, column: number) => model.align?.[column] ?? (column === 0 ? 'left' : 'right')

export function boxTable (model: TableModel): string {
  const table = new Table({
    head: model.head,
    colAligns: model.head.map((_, column) => alignOf(model, column)),
    style: { head: [], border: [], compact: model.compact ?? false }
  })
  table.push(...model.rows)
  return table.toString()
}

const mdCell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ')

export function markdownTable (model: TableModel): string {
  const rule = model.head.map((_, column) => alignOf(model, column) === 'right' ? '---:' : ':---')
  return [model.head, rule, ...model.rows].map((row, index) => `| ${(index === 1 ? row : row.map(mdCell)).join(' | ')} |`).join('\n')
}

const csvField = (text: string) => /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text

export function csvTable (model: TableModel, { header = true } = {}): string {
  return [...(header ? [model.head] : []), ...model.rows].map((row) => row.map(csvField).join(',')).join('\n')
}

export function renderTable (model: TableModel, format: Exclude<OutputFormat, 'json'>): string {
  if (format === 'md') return markdownTable(model)
  if (format === 'csv') return csvTable(model)
  return boxTable(model)
}
