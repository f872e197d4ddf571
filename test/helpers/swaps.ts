import type { ExecutionContext } from 'ava'
import type { TradingNode } from '../../src/daemon/trading-node.js'
import type { Market, Side, SignedOrder } from '../../src/orderbook/types.js'
import type { SwapRecord } from '../../src/swap/types.js'
import { expectedChanges, holdings } from './traders.js'

/** Steps every two-trader swap test takes: a shared market, an order the taker sees, exact balances. */

export const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')

export async function openMarket(maker: TradingNode, taker: TradingNode, market: Market): Promise<void> {
  await Promise.all([maker.orderbook.join(market), taker.orderbook.join(market)])
}

export interface OrderParams {
  side: Side
  amount: bigint
  minFill: bigint
  priceNum: bigint
  priceDen: bigint
}

/** Places an order of `maker` and resolves once it shows in `taker`'s book. */
export async function placeOrder(
  maker: TradingNode,
  taker: TradingNode,
  market: Market,
  params: OrderParams,
): Promise<SignedOrder> {
  const order = await maker.orderbook.place({
    market,
    ...params,
    expiry: Math.floor(Date.now() / 1000) + 3600,
  })
  await taker.orderbook.book(market).waitFor((book) => book.get(hex(order.id)) !== undefined, 30_000)
  return order
}

/** `trader`'s holdings moved from `before` by exactly what its swaps `records` and their fees say. */
export async function assertBalances(
  t: ExecutionContext,
  trader: TradingNode,
  before: Map<string, bigint>,
  records: SwapRecord[],
  assets: string[],
): Promise<void> {
  const after = await holdings(trader, assets)
  const expected = await expectedChanges(trader, records, assets)
  for (const asset of assets) {
    t.is(
      (after.get(asset) ?? 0n) - (before.get(asset) ?? 0n),
      expected.get(asset) ?? 0n,
      `${asset} of the ${records[0]?.role}`,
    )
  }
}
