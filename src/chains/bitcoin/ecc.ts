/**
 * The one place that wires tiny-secp256k1 into bitcoinjs-lib and ecpair. Import `bitcoin` and `ECPair` from
 * here (not from the packages directly) so the elliptic-curve library is initialised exactly once, before use.
 */
import * as bitcoin from 'bitcoinjs-lib'
import { ECPairFactory } from 'ecpair'
import * as ecc from 'tiny-secp256k1'

bitcoin.initEccLib(ecc)

export const ECPair = ECPairFactory(ecc)
export type { ECPairInterface } from 'ecpair'
export { bitcoin, ecc }
