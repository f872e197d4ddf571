import { randomBytes } from 'node:crypto'
import { bitcoin, ECPair } from '../../src/chains/bitcoin/ecc.js'
import { htlcOutput, htlcScript } from '../../src/chains/bitcoin/htlc-script.js'
import { bitcoinNetwork } from '../../src/chains/bitcoin/networks.js'
import { sha256Hashlock } from '../../src/chains/bitcoin/preimage.js'

export const regtest = bitcoinNetwork('regtest')

/** A fresh HTLC with random keys and secret, locked until `deadline`. */
export function randomHtlc(deadline = 1_800_000_000) {
  const claimKey = ECPair.makeRandom()
  const refundKey = ECPair.makeRandom()
  const preimage = Uint8Array.from(randomBytes(32))
  const hashlock = sha256Hashlock(preimage)
  const witnessScript = htlcScript({
    sha256Hashlock: hashlock,
    claimPubkey: claimKey.publicKey,
    refundPubkey: refundKey.publicKey,
    deadline,
  })
  return { claimKey, refundKey, preimage, hashlock, deadline, ...htlcOutput(witnessScript, regtest) }
}

/** A random P2WPKH output script (a destination nobody needs to spend in the test). */
export function randomP2wpkhScript(): Uint8Array {
  return bitcoin.payments.p2wpkh({ hash: Uint8Array.from(randomBytes(20)) }).output as Uint8Array
}

/** A random outpoint holding `value` sats. */
export function randomOutpoint(value: bigint) {
  return { txid: randomBytes(32).toString('hex'), vout: 1, value }
}
