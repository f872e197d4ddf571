/**
 * Transaction size, dust and fee-rate arithmetic for a wallet that spends only P2WPKH coins. Sizes are
 * exact weight-unit sums (BIP141), so a fee computed here is what the signed transaction pays; fee rates
 * are integer sat/vB (`bigint`), never floats.
 */
import { SwarmswapError } from '../../errors.js'

/**
 * Weight of one P2WPKH input signed with a low-R signature: 41 non-witness bytes (outpoint 36, empty
 * scriptSig 1, sequence 4) x 4, plus a 107-byte witness (item count 1, signature 1 + 71 with low R and
 * low S, public key 1 + 33). 271 WU = 67.75 vB, i.e. the "68 vB" input. A signature can come out a byte
 * shorter (about 1 in 256), so a real input is never heavier than this.
 */
export const P2WPKH_INPUT_WEIGHT = 271

/** Length of a P2WPKH scriptPubKey (`OP_0 <20 bytes>`), the wallet's own receive and change scripts. */
export const P2WPKH_SCRIPT_LENGTH = 22

/** Bytes of a Bitcoin CompactSize integer. */
export function compactSizeLength(n: number): number {
  if (n < 0xfd) return 1
  if (n <= 0xffff) return 3
  if (n <= 0xffffffff) return 5
  return 9
}

/** Weight of one output: value 8 bytes, script length prefix, script, all non-witness. */
export function outputWeight(scriptLength: number): number {
  return 4 * (8 + compactSizeLength(scriptLength) + scriptLength)
}

/**
 * Weight of a segwit transaction spending `inputCount` P2WPKH inputs to outputs whose scripts have the
 * given lengths: version 4 + locktime 4 + the two counts (x4), segwit marker and flag (2 WU), the inputs
 * and the outputs.
 */
export function p2wpkhTxWeight(inputCount: number, outputScriptLengths: readonly number[]): number {
  return (
    4 * (8 + compactSizeLength(inputCount) + compactSizeLength(outputScriptLengths.length)) +
    2 +
    inputCount * P2WPKH_INPUT_WEIGHT +
    outputScriptLengths.reduce((sum, length) => sum + outputWeight(length), 0)
  )
}

/** Virtual size of that transaction: weight / 4 rounded up to whole vbytes, as Bitcoin Core counts. */
export function p2wpkhTxVsize(inputCount: number, outputScriptLengths: readonly number[]): number {
  return Math.ceil(p2wpkhTxWeight(inputCount, outputScriptLengths) / 4)
}

/** Fee in sats for `vsize` vbytes at `feeRate` sat/vB. */
export function feeFor(vsize: number, feeRate: bigint): bigint {
  return BigInt(vsize) * feeRate
}

/** Bitcoin Core's dust relay fee (DUST_RELAY_TX_FEE, 3000 sat/kvB) as sat/vB. */
const DUST_RELAY_FEE_RATE = 3n

/** A witness program: a version opcode (OP_0, OP_1..OP_16) then one direct push of 2 to 40 bytes. */
function isWitnessProgram(script: Uint8Array): boolean {
  const version = script[0]
  const pushLength = script[1]
  if (version === undefined || pushLength === undefined) return false
  const validVersion = version === 0x00 || (version >= 0x51 && version <= 0x60)
  return validVersion && pushLength >= 2 && pushLength <= 40 && script.length === pushLength + 2
}

/**
 * The smallest output value Bitcoin Core relays for this script (its GetDustThreshold at the default
 * dust relay fee): the cost of the output plus the input that would spend it, at 3 sat/vB. 294 sats for
 * P2WPKH, 330 for P2WSH, 546 for P2PKH; 0 for an unspendable OP_RETURN output.
 */
export function dustLimit(script: Uint8Array): bigint {
  if (script[0] === 0x6a || script.length > 10_000) return 0n
  const outputBytes = 8 + compactSizeLength(script.length) + script.length
  // Spending input: outpoint 32 + 4, scriptSig length 1, sequence 4, plus the signature data:
  // a witness of 107 bytes counts a quarter (integer division, as Core does), a scriptSig of 107 fully.
  const inputBytes = isWitnessProgram(script) ? 32 + 4 + 1 + Math.floor(107 / 4) + 4 : 32 + 4 + 1 + 107 + 4
  return BigInt(outputBytes + inputBytes) * DUST_RELAY_FEE_RATE
}

/** How the wallet turns a node's fee estimate into the rate it pays. */
export interface FeeRatePolicy {
  /**
   * sat/vB used when the node has no estimate (a fresh node, and always on regtest, where bcoin and a
   * quiet Bitcoin Core answer estimatesmartfee without a rate). Undefined: no estimate is an error.
   */
  fallback?: bigint | undefined
  /** Upper bound in sat/vB, so a wild estimate cannot burn the user's money. */
  max: bigint
}

/** Bitcoin Core's default minimum relay fee, 1 sat/vB: nothing below it propagates. */
export const MIN_RELAY_FEE_RATE = 1n

/**
 * The rate to pay given a node estimate (`null` = none): the estimate or else the fallback, clamped to
 * [MIN_RELAY_FEE_RATE, policy.max]. Throws NOT_FOUND when there is neither an estimate nor a fallback.
 */
export function resolveFeeRate(estimate: bigint | null, policy: FeeRatePolicy): bigint {
  const rate = estimate ?? policy.fallback
  if (rate === undefined) {
    throw new SwarmswapError(
      'NOT_FOUND',
      'the node has no fee estimate and no fallback fee rate is configured',
    )
  }
  if (rate > policy.max) return policy.max
  return rate < MIN_RELAY_FEE_RATE ? MIN_RELAY_FEE_RATE : rate
}
