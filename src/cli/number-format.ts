/** How the CLI writes numbers: a few significant digits, never a long tail of decimals. */
export function ms (value: number | null | undefined): string {
  if (value === null || value === undefined) return '-'
  return `${fixed(value)} ms`
}

export function fixed (value: number): string {
  if (Number.isInteger(value)) return String(value)
  const abs = Math.abs(value)
  return value.toFixed(abs < 1 ? 3 : abs < 100 ? 2 : 1)
}

export function duration (valueMs: number): string {
  return valueMs >= 1000 ? `${(valueMs / 1000).toFixed(2)} s` : ms(valueMs)
}

export const percent = (share: number) => `${(share * 100).toFixed(1)}%`

export const orDash = (value: number | null | undefined, digits = 2) => value === null || value === undefined ? '-' : value.toFixed(digits)
