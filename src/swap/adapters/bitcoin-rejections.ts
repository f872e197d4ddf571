/**
 * What a node's refusal of sendrawtransaction means for the swap engine. The reasons are Bitcoin Core's
 * (v26-v28: validation.cpp, policy/rbf.cpp, node/transaction.cpp), which the embedded bcoin node reproduces
 * (regtest/bitcoin-core-methods.ts), plus the few bcoin reasons it passes through unchanged. Core formats a
 * rejection as `reason` or `reason, debug message`, so the reason is matched up to the first comma or
 * parenthesis.
 */
import type { BroadcastOutcome } from '../types.js'

type Verdict = BroadcastOutcome['kind']

/** Reasons after which the same transaction may be accepted later: time, fees or the mempool must change. */
const RETRY_REASONS: ReadonlySet<string> = new Set([
  // nLockTime (the refund's deadline) not yet passed by median-time-past; relative locks not yet mature.
  'non-final',
  'non-BIP68-final',
  'bad-txns-premature-spend-of-coinbase',
  // Fee below what this mempool takes now, or a replacement (Core: "insufficient fee, rejecting replacement
  // <txid>; new feerate ... <= old feerate ...") that does not pay enough more than what it replaces.
  'insufficient fee',
  'min relay fee not met',
  'mempool min fee not met',
  'mempool full',
  // Too many unconfirmed ancestors or descendants: fine once some confirm.
  'too-long-mempool-chain',
  'too-long-mempool-chain-desc',
  // bcoin's low-fee policies.
  'insufficient priority',
  'rate limited free transaction',
])

/** Reasons meaning the node already has this transaction. */
const ACCEPTED_REASONS: ReadonlySet<string> = new Set([
  'txn-already-in-mempool',
  'txn-already-known',
  // Same txid with another witness: the transaction's effects are in the mempool all the same.
  'txn-same-nonwitness-data-in-mempool',
])

/**
 * The outcome of a rejected broadcast, from the node's JSON-RPC error code and message. Inputs spent or
 * missing, a conflict that cannot be replaced, a failing script or any rejection not known to be temporary
 * is 'dropped': the engine then decides again from the chain rather than retrying a transaction that can
 * never be mined.
 */
export function classifyRejection(rpcCode: number, message: string): BroadcastOutcome {
  const verdict = verdictOf(rpcCode, reasonOf(message))
  return verdict === 'accepted' ? { kind: 'accepted' } : { kind: verdict, reason: message }
}

function verdictOf(rpcCode: number, reason: string): Verdict {
  // -27 RPC_VERIFY_ALREADY_IN_CHAIN: "Transaction outputs already in utxo set" (older: "already in block chain").
  if (rpcCode === -27 || ACCEPTED_REASONS.has(reason)) return 'accepted'
  if (RETRY_REASONS.has(reason)) return 'retry'
  // Everything else: -25 "bad-txns-inputs-missingorspent" / "Missing inputs", -26 "txn-mempool-conflict",
  // script failures, non-standard transactions, "Fee exceeds maximum configured by user", -22 decode errors.
  return 'dropped'
}

/** Core's reject reason without its debug message: "min relay fee not met, 100 < 141" -> "min relay fee not met". */
function reasonOf(message: string): string {
  const end = message.search(/[,(]/)
  return (end === -1 ? message : message.slice(0, end)).trim()
}
