/**
 * The Bitcoin side of a swarmswap HTLC: a P2WSH script, as pure functions (no chain I/O).
 *
 * ```
 * OP_SIZE <32> OP_EQUAL
 * OP_IF
 *   OP_HASH160 <hash160> OP_EQUALVERIFY <claimPubkey>
 * OP_ELSE
 *   <deadline> OP_CHECKLOCKTIMEVERIFY OP_2DROP <refundPubkey>
 * OP_ENDIF
 * OP_CHECKSIG
 * ```
 * Claim witness `[sig, preimage, script]`; refund witness `[sig, <empty>, script]`. The preimage's size picks
 * the branch, so no branch selector is needed in the witness, and only a 32-byte preimage can ever claim (the
 * EVM side requires exactly 32 bytes too). In the refund branch OP_2DROP removes both the deadline and the
 * non-32-byte item. The deadline is a unix timestamp (CLTV compares it with the spending tx's nLockTime).
 * 106 bytes while the deadline is below 2^31 (year 2038), 107 bytes up to 2^32 - 1.
 */
import { SwarmswapError } from '../../errors.js'
import { bitcoin, ecc } from './ecc.js'
import { hash160FromSha256, PREIMAGE_BYTES } from './preimage.js'

const OPS = bitcoin.opcodes

/** Smallest nLockTime that consensus reads as a unix timestamp rather than a block height. */
export const LOCKTIME_THRESHOLD = 500_000_000
/** nLockTime is a uint32. */
export const MAX_LOCKTIME = 0xffffffff

/** Everything an HTLC script commits to. */
export interface HtlcTerms {
  /** RIPEMD-160(SHA-256(preimage)): see `hash160FromSha256`. 20 bytes. */
  hash160: Uint8Array
  /** Compressed public key that can claim with the preimage (the recipient). */
  claimPubkey: Uint8Array
  /** Compressed public key that can take the coins back after the deadline (the sender). */
  refundPubkey: Uint8Array
  /** Unix timestamp (seconds) from which the refund branch is spendable. */
  deadline: number
}

/** The terms with the hash given either as the script's HASH160 or as the swap's SHA-256 hashlock. */
export type HtlcScriptParams = Omit<HtlcTerms, 'hash160'> &
  ({ hash160: Uint8Array } | { sha256Hashlock: Uint8Array })

/** The HTLC's witness script. Throws INVALID_ARGUMENT on a malformed hash, key or deadline. */
export function htlcScript(params: HtlcScriptParams): Uint8Array {
  const hash160 = 'hash160' in params ? params.hash160 : hash160FromSha256(params.sha256Hashlock)
  const terms: HtlcTerms = { ...params, hash160 }
  assertValidTerms(terms)
  return bitcoin.script.compile([
    OPS.OP_SIZE,
    bitcoin.script.number.encode(PREIMAGE_BYTES),
    OPS.OP_EQUAL,
    OPS.OP_IF,
    OPS.OP_HASH160,
    terms.hash160,
    OPS.OP_EQUALVERIFY,
    terms.claimPubkey,
    OPS.OP_ELSE,
    bitcoin.script.number.encode(terms.deadline),
    OPS.OP_CHECKLOCKTIMEVERIFY,
    OPS.OP_2DROP,
    terms.refundPubkey,
    OPS.OP_ENDIF,
    OPS.OP_CHECKSIG,
  ])
}

/**
 * The terms of a script built by `htlcScript`, or null for any other script (any opcode, push or encoding
 * changed). Decoding then re-encoding must give back the exact bytes, so a non-minimal push, a key that is not
 * a valid compressed point or a block-height deadline is rejected as well.
 */
export function decodeHtlcScript(script: Uint8Array): HtlcTerms | null {
  const chunks = bitcoin.script.decompile(script)
  if (chunks?.length !== 15) return null
  const [hash160, claimPubkey, deadlineBytes, refundPubkey] = [chunks[5], chunks[7], chunks[9], chunks[12]]
  if (!isBytes(hash160) || !isBytes(claimPubkey) || !isBytes(deadlineBytes) || !isBytes(refundPubkey)) {
    return null
  }
  try {
    const terms = {
      hash160,
      claimPubkey,
      refundPubkey,
      deadline: bitcoin.script.number.decode(deadlineBytes, 5),
    }
    return Buffer.compare(htlcScript(terms), script) === 0 ? terms : null
  } catch {
    return null
  }
}

/** The P2WSH output that locks coins to `witnessScript`. */
export function htlcOutput(
  witnessScript: Uint8Array,
  network: bitcoin.networks.Network,
): { address: string; scriptPubKey: Uint8Array; witnessScript: Uint8Array } {
  const payment = bitcoin.payments.p2wsh({ redeem: { output: witnessScript }, network })
  if (payment.address === undefined || payment.output === undefined) {
    throw new SwarmswapError('INTERNAL', 'p2wsh gave no address for an HTLC script')
  }
  return { address: payment.address, scriptPubKey: payment.output, witnessScript }
}

/** Throws INVALID_ARGUMENT naming the first malformed term. */
export function assertValidTerms(terms: HtlcTerms): void {
  if (terms.hash160.length !== 20) {
    throw invalid('hash', `the script hash is HASH160 (20 bytes), got ${terms.hash160.length} bytes`)
  }
  if (!isCompressedPubkey(terms.claimPubkey))
    throw invalid('claimKey', 'claim key is not a compressed pubkey')
  if (!isCompressedPubkey(terms.refundPubkey))
    throw invalid('refundKey', 'refund key is not a compressed pubkey')
  if (Buffer.compare(terms.claimPubkey, terms.refundPubkey) === 0) {
    throw invalid('refundKey', 'claim and refund keys are the same key')
  }
  const { deadline } = terms
  if (!Number.isSafeInteger(deadline) || deadline < LOCKTIME_THRESHOLD || deadline > MAX_LOCKTIME) {
    throw invalid('deadline', `deadline must be a unix timestamp in [5e8, 2^32-1], got ${deadline}`)
  }
}

/** A 33-byte SEC1 compressed point on secp256k1: the only key form P2WSH policy relays. */
export function isCompressedPubkey(key: Uint8Array): boolean {
  return key.length === 33 && (key[0] === 0x02 || key[0] === 0x03) && ecc.isPoint(key)
}

function isBytes(chunk: number | Uint8Array | undefined): chunk is Uint8Array {
  return chunk instanceof Uint8Array
}

function invalid(field: string, message: string): SwarmswapError {
  return new SwarmswapError('INVALID_ARGUMENT', message, { details: { field } })
}
