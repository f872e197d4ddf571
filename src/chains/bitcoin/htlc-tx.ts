/**
 * Claim and refund transactions of the HTLC in htlc-script.ts, as pure functions: they sign with the key they
 * are given and return the serialized transaction; broadcasting is the caller's business.
 *
 * Both spend one HTLC input to one output and signal replace-by-fee (nSequence 0xfffffffd), so a stuck claim or
 * refund can later be fee-bumped. The fee is `feeRate * vsize`, with vsize computed before signing from the
 * script and output sizes and a full-length low-R signature (71 bytes with the sighash byte): 136 vB for a claim,
 * 128 for a refund to P2WPKH. Signatures 1-2 bytes shorter (about 1 in 64) round to the same vsize; only a
 * 3+ byte shorter one (under 1 in a million) makes the tx 1 vB smaller, so the fee can only overpay.
 *
 * The refund's nLockTime is the deadline: nodes relay it once the chain's median-time-past has passed the
 * deadline (BIP113), which on mainnet is about an hour after the wall-clock deadline.
 */
import { SwarmswapError } from '../../errors.js'
import { bitcoin, ecc } from './ecc.js'
import {
  compactSizeLength,
  dustLimit,
  MIN_RELAY_FEE_RATE,
  outputWeight,
  P2WPKH_SCRIPT_LENGTH,
} from './fees.js'
import { decodeHtlcScript, type HtlcTerms } from './htlc-script.js'
import { PREIMAGE_BYTES } from './preimage.js'

/** nSequence of every HTLC spend: opts in to RBF (< 0xfffffffe) and enables CLTV (< 0xffffffff). */
export const RBF_SEQUENCE = 0xfffffffd

/** A low-R DER signature (70 bytes) plus the sighash byte: what `sign(hash, true)` yields. */
const MAX_SIGNATURE_BYTES = 71
const STANDARD_HTLC_SCRIPT_BYTES = 106

/** The HTLC output being spent. `txid` is the usual big-endian hex txid. */
export interface HtlcOutpoint {
  txid: string
  vout: number
  value: bigint
}

/** What signs a spend: an ecpair ECPair, or anything else with this shape (bitcoinjs-lib's `Signer`). */
export interface HtlcSigner {
  publicKey: Uint8Array
  sign(hash: Uint8Array, lowR?: boolean): Uint8Array
}

export interface SignedSpend {
  hex: string
  txid: string
  vsize: number
  fee: bigint
}

export interface HtlcSpendParams {
  htlcOutpoint: HtlcOutpoint
  witnessScript: Uint8Array
  /** Where the coins go: an address on `network`, or an output script. */
  destination: string | Uint8Array
  /** Satoshis per virtual byte, at least 1. */
  feeRate: bigint
  network: bitcoin.networks.Network
}

/** Spends the HTLC with the preimage, signed by the claim key. */
export function buildClaimTx(
  params: HtlcSpendParams & { preimage: Uint8Array; claimKey: HtlcSigner },
): SignedSpend {
  const terms = termsOf(params.witnessScript)
  const { preimage } = params
  if (preimage.length !== PREIMAGE_BYTES) {
    throw invalid(`the preimage must be ${PREIMAGE_BYTES} bytes, got ${preimage.length}`)
  }
  if (Buffer.compare(bitcoin.crypto.hash160(preimage), terms.hash160) !== 0) {
    throw invalid('the preimage does not match the HTLC hash')
  }
  assertSignerKey(params.claimKey, terms.claimPubkey, 'claim')
  return buildPricedSpend(params, {
    lockTime: 0,
    signer: params.claimKey,
    vsize: claimVsize(params.witnessScript.length, outputScriptOf(params).length),
    witness: (signature) => [signature, preimage, params.witnessScript],
  })
}

/** Spends the HTLC back to the sender after the deadline; nLockTime is the deadline itself. */
export function buildRefundTx(params: HtlcSpendParams & { refundKey: HtlcSigner }): SignedSpend {
  const terms = termsOf(params.witnessScript)
  assertSignerKey(params.refundKey, terms.refundPubkey, 'refund')
  return buildPricedSpend(params, {
    lockTime: terms.deadline,
    signer: params.refundKey,
    vsize: refundVsize(params.witnessScript.length, outputScriptOf(params).length),
    witness: (signature) => [signature, new Uint8Array(0), params.witnessScript],
  })
}

/**
 * Low level, no checks of the terms: spends `htlcOutpoint` to one output of `htlcOutpoint.value - fee`, signs
 * with `signer` and sets the witness `witness(signature)` builds. buildClaimTx and buildRefundTx are the safe
 * entry points; this one exists for them and for tests that must build spends the script has to refuse.
 */
export function buildHtlcSpendTx(params: {
  htlcOutpoint: HtlcOutpoint
  witnessScript: Uint8Array
  outputScript: Uint8Array
  fee: bigint
  lockTime: number
  sequence: number
  signer: HtlcSigner
  witness: (signature: Uint8Array) => Uint8Array[]
}): { hex: string; txid: string; vsize: number } {
  const { htlcOutpoint } = params
  const tx = new bitcoin.Transaction()
  tx.version = 2
  tx.locktime = params.lockTime
  tx.addInput(Buffer.from(htlcOutpoint.txid, 'hex').reverse(), htlcOutpoint.vout, params.sequence)
  tx.addOutput(params.outputScript, htlcOutpoint.value - params.fee)
  const hashType = bitcoin.Transaction.SIGHASH_ALL
  const sighash = tx.hashForWitnessV0(0, params.witnessScript, htlcOutpoint.value, hashType)
  const signature = params.signer.sign(sighash, true)
  if (!ecc.verify(sighash, params.signer.publicKey, signature)) {
    throw invalid('the signer returned a signature that does not verify')
  }
  tx.setWitness(0, params.witness(bitcoin.script.signature.encode(signature, hashType)))
  return { hex: tx.toHex(), txid: tx.getId(), vsize: tx.virtualSize() }
}

/** Exact vsize of a claim: one HTLC input, one output. 136 for the standard script and a P2WPKH output. */
export function claimVsize(
  witnessScriptBytes = STANDARD_HTLC_SCRIPT_BYTES,
  outputScriptBytes = P2WPKH_SCRIPT_LENGTH,
): number {
  return spendVsize([MAX_SIGNATURE_BYTES, PREIMAGE_BYTES, witnessScriptBytes], outputScriptBytes)
}

/** Exact vsize of a refund: one HTLC input, one output. 128 for the standard script and a P2WPKH output. */
export function refundVsize(
  witnessScriptBytes = STANDARD_HTLC_SCRIPT_BYTES,
  outputScriptBytes = P2WPKH_SCRIPT_LENGTH,
): number {
  return spendVsize([MAX_SIGNATURE_BYTES, 0, witnessScriptBytes], outputScriptBytes)
}

function buildPricedSpend(
  params: HtlcSpendParams,
  spend: { lockTime: number; signer: HtlcSigner; vsize: number; witness: (sig: Uint8Array) => Uint8Array[] },
): SignedSpend {
  assertOutpoint(params.htlcOutpoint)
  if (params.feeRate < MIN_RELAY_FEE_RATE) {
    throw invalid(`fee rate must be at least ${MIN_RELAY_FEE_RATE} sat/vB, got ${params.feeRate}`)
  }
  const outputScript = outputScriptOf(params)
  const fee = params.feeRate * BigInt(spend.vsize)
  const outputValue = params.htlcOutpoint.value - fee
  const dust = dustLimit(outputScript)
  if (outputValue < dust) {
    throw invalid(`output of ${outputValue} sats after a ${fee} sat fee is below the ${dust} sat dust limit`)
  }
  const signed = buildHtlcSpendTx({ ...params, ...spend, outputScript, fee, sequence: RBF_SEQUENCE })
  // Only a signer that ignores lowR can make the tx bigger than priced (see the module comment).
  if (signed.vsize > spend.vsize) {
    throw invalid('the signer ignored lowR: the signature is longer than priced')
  }
  return { ...signed, fee }
}

/** One input (the HTLC) and one output; the witness items' lengths are given, the rest is fixed. */
function spendVsize(witnessItemBytes: number[], outputScriptBytes: number): number {
  // version, input count, input (outpoint, empty scriptSig, sequence), output count, locktime
  const baseWeight = 4 * (4 + 1 + (36 + 1 + 4) + 1 + 4) + outputWeight(outputScriptBytes)
  // segwit marker and flag, item count, items
  const witnessWeight = 2 + 1 + witnessItemBytes.reduce((sum, n) => sum + compactSizeLength(n) + n, 0)
  return Math.ceil((baseWeight + witnessWeight) / 4)
}

function termsOf(witnessScript: Uint8Array): HtlcTerms {
  const terms = decodeHtlcScript(witnessScript)
  if (terms === null) throw invalid('the witness script is not a swarmswap HTLC script')
  return terms
}

function outputScriptOf(params: HtlcSpendParams): Uint8Array {
  const { destination, network } = params
  if (typeof destination !== 'string') return destination
  try {
    return bitcoin.address.toOutputScript(destination, network)
  } catch (cause) {
    throw new SwarmswapError('INVALID_ARGUMENT', `not an address on this network: ${destination}`, { cause })
  }
}

function assertSignerKey(signer: HtlcSigner, expected: Uint8Array, role: string): void {
  if (Buffer.compare(signer.publicKey, expected) !== 0) {
    throw invalid(`the signing key is not the HTLC's ${role} key`)
  }
}

function assertOutpoint(outpoint: HtlcOutpoint): void {
  if (!/^[0-9a-f]{64}$/.test(outpoint.txid)) throw invalid(`not a txid: ${outpoint.txid}`)
  if (!Number.isInteger(outpoint.vout) || outpoint.vout < 0 || outpoint.vout > 0xffffffff) {
    throw invalid(`not an output index: ${outpoint.vout}`)
  }
  if (outpoint.value <= 0n) throw invalid(`the HTLC output value must be positive, got ${outpoint.value}`)
}

function invalid(message: string): SwarmswapError {
  return new SwarmswapError('INVALID_ARGUMENT', message)
}
