import assert from 'node:assert/strict'
import { test } from 'node:test'
import { documentedRows, expectedRows, renderTable } from './support/docs-config.js'
import { readDoc } from './support/docs-markdown.js'

const PASTE = () => `\nThe table ConfigSchema implies (meaning = the schema's description; keep a richer meaning where the page has one):\n\n${renderTable(expectedRows())}\n`

test('docs/configuration.md lists every ConfigSchema variable with its default and range, and nothing else', () => {
  const documented = documentedRows(readDoc('docs/configuration.md'))
  const expected = expectedRows()
  const names = documented.map((row) => row.variable)
  assert.deepEqual(names.filter((name, index) => names.indexOf(name) !== index), [], `variables listed twice${PASTE()}`)
  assert.deepEqual(
    [...names].sort(),
    expected.map((row) => row.variable).sort(),
    `the table's variables are not ConfigSchema's keys${PASTE()}`
  )
  for (const row of expected) {
    const page = documented.find((candidate) => candidate.variable === row.variable)!
    assert.deepEqual({ variable: page.variable, default: page.default, range: page.range }, { variable: row.variable, default: row.default, range: row.range },
      `${row.variable}: default or range differs from ConfigSchema${PASTE()}`)
    assert.ok(page.meaning.length > 0, `${row.variable} has no meaning`)
  }
})

test('a default computed from the machine is shown as such, never as this machine\'s value', () => {
  const poolSize = expectedRows().find((row) => row.variable === 'POOL_SIZE')!
  assert.equal(poolSize.default, 'available parallelism (computed at start-up)')
})
