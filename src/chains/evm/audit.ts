import { getAddress } from 'ethers'
import { SwarmswapError } from '../../errors.js'
import type { EvmLockFound } from './htlc.js'
import { type EvmSwapTerms, normalizeTerms } from './terms.js'

/** Audit fields in the order they are checked; the first mismatch is reported. */
export type EvmAuditField =
  | 'contract'
  | 'amount'
  | 'hashlock'
  | 'recipient'
  | 'sender'
  | 'token'
  | 'deadline'
  | 'state'
  | 'confirmations'

export interface EvmAuditOptions {
  /** The HTLC contract the negotiated terms name. */
  contractAddress: string
  minConfirmations: number
  /** Current chain height, for counting confirmations. */
  currentBlock: number
}

/** What a passed audit found: how deep the lock is. */
export interface EvmAuditResult {
  confirmations: number
}

function mismatch(field: EvmAuditField, found: unknown, expected: unknown): SwarmswapError {
  return new SwarmswapError(
    'AUDIT_FAILED',
    `EVM lock ${field} is ${String(found)}, expected ${String(expected)}`,
    {
      details: { field, found: String(found), expected: String(expected) },
    },
  )
}

/**
 * Checks a counterparty's lock (from `EvmHtlc.findLocked`) against the negotiated terms, field by field,
 * and that it is live and deep enough; throws AUDIT_FAILED naming the first mismatching field (as the
 * Bitcoin audit does). Pure: the caller fetched `found` and `currentBlock` from the chain.
 */
export function auditEvmLock(
  found: EvmLockFound,
  expected: EvmSwapTerms,
  options: EvmAuditOptions,
): EvmAuditResult {
  const want = normalizeTerms(expected)
  const got = normalizeTerms(found.terms)
  const contract = getAddress(options.contractAddress)
  if (getAddress(found.contractAddress) !== contract)
    throw mismatch('contract', found.contractAddress, contract)
  const checks: [EvmAuditField, unknown, unknown][] = [
    ['amount', got.amount, want.amount],
    ['hashlock', got.hashlock, want.hashlock],
    ['recipient', got.recipient, want.recipient],
    ['sender', got.sender, want.sender],
    ['token', got.token, want.token],
    ['deadline', got.deadline, want.deadline],
  ]
  for (const [field, value, wanted] of checks) {
    if (value !== wanted) throw mismatch(field, value, wanted)
  }
  if (found.lockedAt === 0n) throw mismatch('state', 'not live (claimed or refunded)', 'locked')
  // The slot holds the block of the live lock (a later identical re-lock would differ from the event's block).
  const confirmations = Math.max(0, options.currentBlock - Number(found.lockedAt) + 1)
  if (confirmations < options.minConfirmations) {
    throw mismatch('confirmations', confirmations, `>= ${options.minConfirmations}`)
  }
  return { confirmations }
}
