import { InvalidArgumentError } from 'commander'

/** Option values checked as commander parses them, so a bad one is commander's one-line error (exit 2). */
export function integer (value: string): number {
  if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError('not a whole number.')
  return Number(value)
}

export function positiveNumber (value: string): number {
  const number = Number(value)
  if (value.trim() === '' || !Number.isFinite(number) || number <= 0) throw new InvalidArgumentError('not a number above 0.')
  return number
}

export function batch (value: string): number | 'auto' {
  return value === 'auto' ? 'auto' : integer(value)
}

/** `pool,threads` → ['pool', 'threads'] (spaces and empty items dropped, no repeats). */
export function list (value: string): string[] {
  const items = [...new Set(value.split(',').map((item) => item.trim()).filter(Boolean))]
  if (items.length === 0) throw new InvalidArgumentError('an empty list.')
  return items
}

export function integerList (value: string): number[] {
  return list(value).map(integer)
}

/** Repeatable options: each occurrence appended. */
export const collect = (value: string, previous: string[] = []) => [...previous, value]

/** `--params '{"bytes":1024}'`: a JSON object. */
export function jsonObject (value: string): Record<string, unknown> {
  let parsed: unknown
  try {
    parsed = JSON.parse(value)
  } catch (error) {
    throw new InvalidArgumentError(`not JSON (${(error as Error).message}).`)
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new InvalidArgumentError('not a JSON object.')
  return parsed as Record<string, unknown>
}

/** `--param rounds=100`: the value as JSON when it is (numbers, booleans, null), else the string. */
export function keyValue (value: string, previous: Record<string, unknown> = {}): Record<string, unknown> {
  const equals = value.indexOf('=')
  if (equals <= 0) throw new InvalidArgumentError('expected key=value.')
  const raw = value.slice(equals + 1)
  let parsed: unknown = raw
  try {
    parsed = JSON.parse(raw)
  } catch {}
  return { ...previous, [value.slice(0, equals).trim()]: parsed }
}
