/** Percentile of a sample (nearest-rank), for benchmark reports. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new Error('percentile of an empty sample')
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank] as number
}

/** Milliseconds rounded to 0.1 ms, for reports. */
export function ms(value: number): number {
  return Math.round(value * 10) / 10
}
