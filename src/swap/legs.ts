import { SwarmswapError } from '../errors.js'
import type { Market, Side } from '../orderbook/types.js'
import type { TakeTerms } from '../p2p/messages.js'
import type { ChainKind, LegTerms, SwapRecord, SwapRole } from './types.js'

/** The chain an asset lives on: 'BTC' on Bitcoin, 'ETH' and 'ERC20:0x..' on the EVM chain. */
export function chainOf(asset: string): ChainKind {
  if (asset === 'BTC') return 'bitcoin'
  if (asset === 'ETH' || /^ERC20:0x[0-9a-f]{40}$/.test(asset)) return 'evm'
  throw new SwarmswapError('INVALID_ARGUMENT', `unknown asset ${asset}`, { details: { asset } })
}

/** A swap needs one leg on each chain: a market of two EVM assets (or two BTC) cannot be swapped by HTLCs here. */
export function assertSwappable(market: Market): void {
  if (chainOf(market.base) === chainOf(market.quote)) {
    throw new SwarmswapError(
      'INVALID_ARGUMENT',
      `market ${market.base}/${market.quote} has no Bitcoin-EVM pair`,
    )
  }
}

/**
 * Both HTLCs of a swap from the order's market and side and the agreed terms. For a 'sell' order the maker
 * sends the base asset, for a 'buy' order the quote asset; each lock's sender is the party sending it.
 */
export function legsFromTerms(
  market: Market,
  side: Side,
  terms: TakeTerms,
): { makerLeg: LegTerms; takerLeg: LegTerms } {
  assertSwappable(market)
  const makerSends = side === 'sell' ? market.base : market.quote
  const takerSends = side === 'sell' ? market.quote : market.base
  const makerAmount = side === 'sell' ? terms.baseAmount : terms.quoteAmount
  const takerAmount = side === 'sell' ? terms.quoteAmount : terms.baseAmount
  const confirmations = (chain: ChainKind) =>
    chain === 'bitcoin' ? terms.btcConfirmations : terms.evmConfirmations
  const leg = (asset: string, amount: bigint, deadline: number, maker: boolean): LegTerms => ({
    chain: chainOf(asset),
    asset,
    amount,
    hashlock: terms.hashlock,
    deadline,
    sender: maker ? terms.maker : terms.taker,
    recipient: maker ? terms.taker : terms.maker,
    confirmations: confirmations(chainOf(asset)),
  })
  return {
    makerLeg: leg(makerSends, makerAmount, terms.makerDeadline, true),
    takerLeg: leg(takerSends, takerAmount, terms.takerDeadline, false),
  }
}

/** Our leg (the one we lock) and the counterparty's (the one we claim). */
export function legsOf(record: Pick<SwapRecord, 'role' | 'makerLeg' | 'takerLeg'>): {
  own: LegTerms
  counter: LegTerms
} {
  return record.role === 'maker'
    ? { own: record.makerLeg, counter: record.takerLeg }
    : { own: record.takerLeg, counter: record.makerLeg }
}

export function otherRole(role: SwapRole): SwapRole {
  return role === 'maker' ? 'taker' : 'maker'
}
