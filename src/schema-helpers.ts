import { Type } from 'typebox'

/**
 * A string enum as a plain JSON-schema `enum` (not an anyOf of literals), so a wrong value gets one error that
 * lists the allowed values instead of one error per literal.
 */
export function StringEnum<const T extends readonly string[]> (values: T, options: Record<string, unknown> = {}) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options })
}
