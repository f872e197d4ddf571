import type { SwapRecord } from '../src/swap/types.js'
import { ms, percentile } from './stats.js'

/** One measured swap: when its take request went out and both sides' final records. */
export interface TimedSwap {
  /** Unix ms. */
  startedAt: number
  records?: readonly SwapRecord[]
}

/**
 * Where swaps spend their time: every history event of both sides ('maker: lock broadcast', ...), as the
 * p50 over the swaps of its time after the take request, in order. Events repeated within one swap are
 * numbered, so a rebroadcast or a second tick shows as its own line.
 */
export function timeline(swaps: readonly TimedSwap[]): string {
  const offsets = new Map<string, number[]>()
  for (const { startedAt, records = [] } of swaps) {
    const seen = new Map<string, number>()
    for (const record of records) {
      for (const event of record.history) {
        const name = `${record.role}: ${event.note}`
        const count = (seen.get(name) ?? 0) + 1
        seen.set(name, count)
        const label = count === 1 ? name : `${name} (#${count})`
        const list = offsets.get(label) ?? []
        list.push(event.at - startedAt)
        offsets.set(label, list)
      }
    }
  }
  return [...offsets]
    .map(([label, list]) => ({ label, p50: ms(percentile(list, 50)), count: list.length }))
    .sort((a, b) => a.p50 - b.p50)
    .map(
      ({ label, p50, count }) =>
        `  +${String(p50).padStart(7)} ms  ${label}${count < swaps.length ? ` (${count} of ${swaps.length} swaps)` : ''}`,
    )
    .join('\n')
}
