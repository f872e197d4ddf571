/**
 * The refusal rule for peers that misbehave (free-option griefing must cost the griefer):
 * each offence refuses the peer for BASE * 2^(n-1), where n is the number of the peer's offences in the
 * 30 days up to and including that offence, capped at 7 days. A peer is refused until the latest end of
 * those refusals. Counting per offence (not at query time) means a later offence never shortens or
 * lengthens an earlier refusal, and an old offence stops counting once it is 30 days old.
 */

const MINUTE = 60_000
const DAY = 24 * 60 * MINUTE

export const BASE_REFUSAL_MS = 10 * MINUTE
export const MAX_REFUSAL_MS = 7 * DAY
export const OFFENCE_WINDOW_MS = 30 * DAY
/** No offence older than this before `now` can still refuse a peer at `now` or later, nor count for one that can. */
export const OFFENCE_MEMORY_MS = OFFENCE_WINDOW_MS + MAX_REFUSAL_MS

/** How long the n-th offence within the window refuses the peer. */
export function refusalMs(n: number): number {
  return Math.min(BASE_REFUSAL_MS * 2 ** (n - 1), MAX_REFUSAL_MS)
}

/**
 * Unix ms until which a peer with offences at `times` (unix ms, ascending, none after `now`) is refused,
 * or null if it is not refused at `now`.
 */
export function refusedUntil(times: readonly number[], now: number): number | null {
  let until: number | null = null
  let windowStart = 0
  times.forEach((at, index) => {
    while ((times[windowStart] ?? at) <= at - OFFENCE_WINDOW_MS) windowStart++
    const end = at + refusalMs(index - windowStart + 1)
    if (end > now && (until === null || end > until)) until = end
  })
  return until
}
