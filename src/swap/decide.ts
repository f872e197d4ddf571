import { legsOf } from './legs.js'
import { makerMayClaim, mayLock, type TimelockPolicy } from './policy.js'
import {
  FINAL_STATUSES,
  type LegState,
  type LockRef,
  type SwapRecord,
  type SwapStatus,
  type TxPurpose,
} from './types.js'

/**
 * The swap state machine as one pure function: from the stored record and what the chains show now, the one
 * next step. The engine stores that step (and any transaction it signs) before it acts, so a crash at any
 * point re-runs `decide` on the same facts and lands on the same or a later step.
 */

/** What the engine read from the chains for one swap. */
export interface SwapView {
  /** Unix seconds: the latest of the wall clock and both chains' times. */
  now: number
  /** Our lock (the leg we send). */
  own: LegState
  /** The counterparty's lock (the leg we claim). */
  counter: LegState
  /** Our leg's chain would accept our refund now (Bitcoin: median-time-past > deadline; EVM: block time >= deadline). */
  ownRefundable: boolean
  /** Purposes of our signed transactions still in flight (not confirmed, not dropped). */
  pending: ReadonlySet<TxPurpose>
  /** The secret when we know it: the maker always; the taker once it is on chain. */
  secret: Uint8Array | undefined
}

export type Decision =
  | { kind: 'wait'; reason: string }
  | { kind: 'advance'; status: SwapStatus; note: string; reason?: string }
  | { kind: 'lock' }
  | { kind: 'claim'; ref: LockRef; preimage: Uint8Array }
  /** `reason`: why the swap is being unwound (stored on the record, e.g. 'counterparty-never-locked'). */
  | { kind: 'refund'; ref: LockRef; reason: string }

/** How the end of a swap by our confirmed claim is noted, whether decide or the engine sees it first. */
export const CLAIM_CONFIRMED_NOTE = 'swap completed: our claim is confirmed'

const wait = (reason: string): Decision => ({ kind: 'wait', reason })
const advance = (status: SwapStatus, note: string, reason?: string): Decision =>
  reason === undefined ? { kind: 'advance', status, note } : { kind: 'advance', status, note, reason }

/** The lock's ref when it is live and has the required confirmations (at least one), else null. */
function deepLock(state: LegState, confirmations: number): LockRef | null {
  return state.kind === 'locked' && state.confirmations >= Math.max(1, confirmations) ? state.ref : null
}

export function decide(record: SwapRecord, view: SwapView, policy: TimelockPolicy): Decision {
  if (FINAL_STATUSES.has(record.status)) return wait('the swap has ended')
  const legs = legsOf(record)
  const { own, counter } = view
  const takerDeadline = record.takerLeg.deadline

  // Outcomes read from the chain end the swap whatever the status says.
  if (counter.kind === 'claimed') {
    return counter.confirmations >= 1
      ? advance('completed', CLAIM_CONFIRMED_NOTE)
      : wait('claim in the mempool')
  }
  if (own.kind === 'refunded') {
    return own.confirmations >= 1
      ? advance('refunded', 'swap refunded: our refund is confirmed')
      : wait('refund in the mempool')
  }
  // Our lock was claimed: the secret is public, so claim the counterparty's lock at once, whatever the time.
  if (own.kind === 'claimed') {
    if (counter.kind === 'locked' && view.secret !== undefined) {
      return view.pending.has('claim')
        ? wait('claim in flight')
        : { kind: 'claim', ref: counter.ref, preimage: view.secret }
    }
    if (counter.kind === 'refunded') {
      return advance('failed', 'the counterparty refunded before we claimed', 'counterparty-refunded-first')
    }
    return wait('our lock was claimed; waiting for the counterparty lock to claim')
  }

  const refund = (why: string, reason: string): Decision => {
    if (own.kind !== 'locked') return wait(why)
    if (!view.ownRefundable) return wait(`${why}; refund at the deadline`)
    return view.pending.has('refund') ? wait('refund in flight') : { kind: 'refund', ref: own.ref, reason }
  }
  const lock = (): Decision => {
    if (view.pending.has('lock') || view.pending.has('approve')) return wait('lock in flight')
    return mayLock(policy, takerDeadline, view.now)
      ? { kind: 'lock' }
      : advance('failed', 'too late to lock', 'too-late-to-lock')
  }

  switch (record.status) {
    case 'negotiated':
      if (record.role === 'maker')
        return own.kind === 'absent' ? lock() : advance('lock-signed', 'own lock seen')
      if (counter.kind === 'invalid') {
        return advance('failed', `counterparty lock rejected: ${counter.field}`, `bad-lock:${counter.field}`)
      }
      if (deepLock(counter, legs.counter.confirmations)) {
        return mayLock(policy, takerDeadline, view.now)
          ? advance('counter-locked', 'counterparty lock audited')
          : advance('failed', 'the counterparty locked too late', 'counterparty-locked-too-late')
      }
      return mayLock(policy, takerDeadline, view.now)
        ? wait('waiting for the counterparty lock')
        : advance('failed', 'the counterparty never locked', 'counterparty-never-locked')

    case 'counter-locked': {
      if (record.role === 'taker') {
        return deepLock(counter, legs.counter.confirmations)
          ? lock()
          : wait('counterparty lock not deep enough')
      }
      const claimable = deepLock(counter, legs.counter.confirmations)
      if (claimable && view.secret !== undefined) {
        if (makerMayClaim(policy, takerDeadline, view.now)) {
          return view.pending.has('claim')
            ? wait('claim in flight')
            : { kind: 'claim', ref: claimable, preimage: view.secret }
        }
        return refund('too late to reveal the secret', 'too-late-to-claim')
      }
      // A maker back after the taker's deadline finds the taker's lock refunded, not reorged.
      if (counter.kind === 'refunded') {
        return refund('the counterparty refunded before we claimed', 'counterparty-refunded-first')
      }
      return refund('counterparty lock no longer deep enough', 'counterparty-lock-reorged')
    }

    case 'lock-signed':
      if (deepLock(own, legs.own.confirmations)) return advance('locked', 'our lock has its confirmations')
      if (own.kind === 'locked')
        return view.ownRefundable
          ? refund('lock confirmed late', 'lock-confirmed-late')
          : wait('lock confirming')
      if (view.pending.has('lock') || view.pending.has('approve')) return wait('lock in flight')
      return mayLock(policy, takerDeadline, view.now)
        ? { kind: 'lock' }
        : advance('failed', 'our lock never made it on chain', 'lock-dropped')

    case 'locked':
      if (record.role === 'maker') {
        if (deepLock(counter, legs.counter.confirmations))
          return advance('counter-locked', 'counterparty lock audited')
        if (counter.kind === 'invalid') {
          return refund(`counterparty lock rejected: ${counter.field}`, `bad-lock:${counter.field}`)
        }
        return refund('waiting for the counterparty lock', 'counterparty-never-locked')
      }
      return refund('waiting for the counterparty to claim', 'counterparty-never-claimed')

    case 'claim-signed':
      if (counter.kind === 'locked' && view.secret !== undefined) {
        return view.pending.has('claim')
          ? wait('claim in flight')
          : { kind: 'claim', ref: counter.ref, preimage: view.secret }
      }
      if (counter.kind === 'refunded')
        return refund('the counterparty refunded before our claim', 'counterparty-refunded-first')
      return wait('claim not seen yet')

    case 'refund-signed':
      return refund('refund pending', record.reason ?? 'refund')

    default:
      return wait(`unexpected status ${record.status}`)
  }
}
