import type { TimelockPolicy } from './policy.js'
import type { SwapRecord, SwapRole } from './types.js'

/** One deadline of a swap: who must do what by when (unix seconds), as shown to the user. */
export interface SwapDeadline {
  who: SwapRole
  action: 'lock' | 'claim' | 'refund'
  /** 'by': must happen before `at`; 'from': possible from `at` on. */
  when: 'by' | 'from'
  at: number
  /** One line for people, e.g. "taker must claim the maker's lock by ...". */
  text: string
}

/**
 * The deadlines of a swap in time order (design invariant 3): both locks must be in while enough of the
 * taker's window is left, the maker reveals the secret only up to the claim cutoff, the taker's refund opens at
 * its deadline, the taker must claim before the maker's deadline, and the maker's refund opens then.
 */
export function swapTimeline(
  record: Pick<SwapRecord, 'makerLeg' | 'takerLeg'>,
  policy: TimelockPolicy,
): SwapDeadline[] {
  const taker = record.takerLeg.deadline
  const maker = record.makerLeg.deadline
  const lockBy = taker - policy.minTakerWindowSeconds
  const entry = (
    who: SwapRole,
    action: SwapDeadline['action'],
    when: SwapDeadline['when'],
    at: number,
    what: string,
  ): SwapDeadline => ({
    who,
    action,
    when,
    at,
    text: `${who} ${when === 'by' ? 'must' : 'may'} ${what} ${when} ${new Date(at * 1000).toISOString()}`,
  })
  return [
    entry('maker', 'lock', 'by', lockBy, `lock ${record.makerLeg.asset}`),
    entry('taker', 'lock', 'by', lockBy, `lock ${record.takerLeg.asset}`),
    entry('maker', 'claim', 'by', taker - policy.makerClaimMarginSeconds, `claim ${record.takerLeg.asset}`),
    entry('taker', 'refund', 'from', taker, `refund ${record.takerLeg.asset}`),
    entry('taker', 'claim', 'by', maker, `claim ${record.makerLeg.asset}`),
    entry('maker', 'refund', 'from', maker, `refund ${record.makerLeg.asset}`),
  ]
}
