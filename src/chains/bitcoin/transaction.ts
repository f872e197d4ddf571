import { SwarmswapError } from '../../errors.js'
import { bitcoin } from './ecc.js'

/** Parses a serialized transaction from a node or peer; BAD_DATA when it is not one (or has trailing bytes). */
export function parseTransaction(hex: string): bitcoin.Transaction {
  if (!/^([0-9a-f]{2})+$/i.test(hex)) throw new SwarmswapError('BAD_DATA', 'transaction is not hex')
  try {
    return bitcoin.Transaction.fromHex(hex)
  } catch (cause) {
    throw new SwarmswapError('BAD_DATA', 'not a valid serialized transaction', { cause })
  }
}
