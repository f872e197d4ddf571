/**
 * The swap secret and the hashes that lock it on both chains. The EVM contract locks to SHA-256(preimage);
 * the Bitcoin script locks to HASH160(preimage) = RIPEMD-160(SHA-256(preimage)), which is derived from the
 * EVM hashlock alone, so both locks are checkable against the one agreed SHA-256 hash.
 */
import { SwarmswapError } from '../../errors.js'
import { bitcoin } from './ecc.js'
import { parseTransaction } from './transaction.js'

/** Both chains accept only 32-byte preimages (`OP_SIZE 32` in the script, `bytes32` in the contract). */
export const PREIMAGE_BYTES = 32

/** The SHA-256 hashlock of a preimage (what the EVM contract and the swap terms carry). */
export function sha256Hashlock(preimage: Uint8Array): Uint8Array {
  return bitcoin.crypto.sha256(preimage)
}

/** The HASH160 the Bitcoin script checks, computed from the SHA-256 hashlock without knowing the preimage. */
export function hash160FromSha256(hashlock: Uint8Array): Uint8Array {
  if (hashlock.length !== 32) {
    throw new SwarmswapError('INVALID_ARGUMENT', `a SHA-256 hashlock has 32 bytes, got ${hashlock.length}`, {
      details: { field: 'hash' },
    })
  }
  return bitcoin.crypto.ripemd160(hashlock)
}

/** True when `preimage` is 32 bytes and hashes to `hashlock`: the only preimage swarmswap ever trusts. */
export function preimageMatches(preimage: Uint8Array, hashlock: Uint8Array): boolean {
  return (
    preimage.length === PREIMAGE_BYTES &&
    hashlock.length === 32 &&
    Buffer.compare(sha256Hashlock(preimage), hashlock) === 0
  )
}

/**
 * The preimage revealed by a transaction that claims an HTLC locked to `hashlock`, or null when the transaction
 * does not claim it (a refund, an unrelated spend). With `htlcOutpoint`, only the input spending that outpoint
 * is looked at. A claim witness is `[signature, preimage, witnessScript]`; the preimage is returned only if it
 * hashes to `hashlock`, so a forged witness can never teach us a wrong secret.
 */
export function extractPreimage(params: {
  spendingTxHex: string
  hashlock: Uint8Array
  htlcOutpoint?: { txid: string; vout: number }
}): Uint8Array | null {
  const tx = parseTransaction(params.spendingTxHex)
  for (const input of tx.ins) {
    if (params.htlcOutpoint !== undefined && !spendsOutpoint(input, params.htlcOutpoint)) continue
    const candidate = input.witness.length === 3 ? input.witness[1] : undefined
    if (candidate !== undefined && preimageMatches(candidate, params.hashlock))
      return Uint8Array.from(candidate)
  }
  return null
}

function spendsOutpoint(
  input: { hash: Uint8Array; index: number },
  outpoint: { txid: string; vout: number },
) {
  return input.index === outpoint.vout && Buffer.from(input.hash).reverse().toString('hex') === outpoint.txid
}
