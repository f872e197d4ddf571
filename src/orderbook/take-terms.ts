import type { TakeTerms } from '../p2p/messages.js'
import { bytesEqual } from '../p2p/wire-codec.js'
import type { TakeRequest } from '../p2p/wire-take.js'
import { quoteForBase } from './order.js'
import type { SignedOrder } from './types.js'

/** A field of the terms that contradicts the request or its order. */
export type TermsMismatch = 'orderId' | 'baseAmount' | 'quoteAmount' | 'taker' | 'makerDeadline'

/**
 * The first field of an acceptance's terms that contradicts the take request or the order taken, or null
 * when they agree (docs/PROTOCOL.md 7.3). Used by the maker on its handler's terms before signing them and
 * by the taker on the terms it receives, so both ends hold the same rule.
 */
export function termsMismatch(
  order: Pick<SignedOrder, 'id' | 'side' | 'priceNum' | 'priceDen'>,
  request: Pick<TakeRequest, 'orderId' | 'amount' | 'taker'>,
  terms: TakeTerms,
): TermsMismatch | null {
  if (!bytesEqual(terms.orderId, order.id) || !bytesEqual(terms.orderId, request.orderId)) return 'orderId'
  if (terms.baseAmount !== request.amount) return 'baseAmount'
  if (terms.quoteAmount !== quoteForBase(order, request.amount)) return 'quoteAmount'
  if (
    !bytesEqual(terms.taker.btcPubkey, request.taker.btcPubkey) ||
    terms.taker.evmAddress !== request.taker.evmAddress
  ) {
    return 'taker'
  }
  if (!(terms.makerDeadline > terms.takerDeadline)) return 'makerDeadline'
  return null
}
