/**
 * Audit of a counterparty's Bitcoin HTLC lock before we lock or reveal anything (design invariant 4).
 *
 * The script is never taken from the peer: it is recomputed from the agreed terms, and the lock output must pay
 * exactly p2wsh(that script). The peer's witness script is only an untrusted hint used to name which term
 * differs when the output does not match.
 */
import { SwarmswapError } from '../../errors.js'
import type { bitcoin } from './ecc.js'
import { decodeHtlcScript, type HtlcTerms, htlcOutput, htlcScript } from './htlc-script.js'
import { hash160FromSha256 } from './preimage.js'
import { parseTransaction } from './transaction.js'

/** The field an AUDIT_FAILED error names in `details.field`. */
export type AuditField =
  | 'output'
  | 'script'
  | 'hash'
  | 'claimKey'
  | 'refundKey'
  | 'deadline'
  | 'amount'
  | 'confirmations'

/** The lock as seen on our own node. */
export interface HtlcLock {
  /** The lock transaction, as our node returned it. */
  txHex: string
  /** The HTLC output's index, when the peer told us; otherwise every output is searched. */
  vout?: number
  /** Confirmations of the lock transaction on our node (0 = in the mempool). */
  confirmations: number
  /** The witness script the peer says it used. Untrusted: only used to explain a mismatch. */
  witnessScriptHint?: Uint8Array
}

/** The terms we agreed to, from our side. */
export interface ExpectedHtlc {
  /** The SHA-256 hashlock of the swap. */
  hashlock: Uint8Array
  /** Our key: the one that can claim. */
  claimPubkey: Uint8Array
  /** The counterparty's key: the one that can refund. */
  refundPubkey: Uint8Array
  deadline: number
  /** Exact value of the HTLC output, in satoshis. */
  amount: bigint
  minConfirmations: number
  network: bitcoin.networks.Network
}

export interface AuditedHtlc {
  txid: string
  vout: number
  value: bigint
  address: string
  witnessScript: Uint8Array
}

/** Returns the HTLC output when it matches `expected` in every field; throws AUDIT_FAILED naming the first. */
export function auditHtlcOutput(lock: HtlcLock, expected: ExpectedHtlc): AuditedHtlc {
  if (expected.amount <= 0n) {
    throw new SwarmswapError('INVALID_ARGUMENT', `expected amount must be positive, got ${expected.amount}`)
  }
  if (!Number.isSafeInteger(expected.minConfirmations) || expected.minConfirmations < 0) {
    throw new SwarmswapError('INVALID_ARGUMENT', `bad minConfirmations ${expected.minConfirmations}`)
  }
  const terms: HtlcTerms = {
    hash160: hash160FromSha256(expected.hashlock),
    claimPubkey: expected.claimPubkey,
    refundPubkey: expected.refundPubkey,
    deadline: expected.deadline,
  }
  const { address, scriptPubKey, witnessScript } = htlcOutput(htlcScript(terms), expected.network)
  const tx = parseTransaction(lock.txHex)
  const txid = tx.getId()
  if (lock.vout !== undefined && tx.outs[lock.vout] === undefined) {
    throw auditFailed('output', `lock tx ${txid} has no output ${lock.vout}`, { txid, vout: lock.vout })
  }
  const candidates = tx.outs
    .map((out, vout) => ({ ...out, vout }))
    .filter(({ vout }) => lock.vout === undefined || vout === lock.vout)
  const matching = candidates.filter((out) => Buffer.compare(out.script, scriptPubKey) === 0)
  if (matching.length === 0) throw scriptMismatch(candidates, terms, lock.witnessScriptHint, expected.network)

  const exact = matching.find((out) => out.value === expected.amount)
  if (exact === undefined) {
    const actual = matching.map((out) => out.value.toString()).join(', ')
    throw auditFailed('amount', `HTLC output holds ${actual} sats, expected ${expected.amount}`, {
      expected: expected.amount.toString(),
      actual,
    })
  }
  if (lock.confirmations < expected.minConfirmations) {
    throw auditFailed(
      'confirmations',
      `lock has ${lock.confirmations} confirmations, ${expected.minConfirmations} required`,
      { expected: expected.minConfirmations, actual: lock.confirmations },
    )
  }
  return { txid, vout: exact.vout, value: exact.value, address, witnessScript }
}

/** The mismatch error: the first differing term when the peer's hint explains the output, else 'script'. */
function scriptMismatch(
  outputs: { script: Uint8Array }[],
  expected: HtlcTerms,
  hint: Uint8Array | undefined,
  network: bitcoin.networks.Network,
): SwarmswapError {
  const hintTerms = hint === undefined ? null : decodeHtlcScript(hint)
  const hintPaid =
    hint !== undefined &&
    hintTerms !== null &&
    outputs.some((out) => Buffer.compare(out.script, htlcOutput(hint, network).scriptPubKey) === 0)
  if (hintPaid && hintTerms !== null) {
    const field = firstDifferingTerm(hintTerms, expected)
    if (field !== undefined) return auditFailed(field, `HTLC ${field} differs from the agreed terms`)
  }
  return auditFailed('script', 'no output pays the HTLC script of the agreed terms')
}

function firstDifferingTerm(actual: HtlcTerms, expected: HtlcTerms): AuditField | undefined {
  if (Buffer.compare(actual.hash160, expected.hash160) !== 0) return 'hash'
  if (Buffer.compare(actual.claimPubkey, expected.claimPubkey) !== 0) return 'claimKey'
  if (Buffer.compare(actual.refundPubkey, expected.refundPubkey) !== 0) return 'refundKey'
  if (actual.deadline !== expected.deadline) return 'deadline'
  return undefined
}

function auditFailed(
  field: AuditField,
  message: string,
  extra: Record<string, unknown> = {},
): SwarmswapError {
  return new SwarmswapError('AUDIT_FAILED', message, { details: { field, ...extra } })
}
