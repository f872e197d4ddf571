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

/** How far `trader`'s holdings moved from `before` beyond what its swaps `records` and their fees say. */
export async function balanceDeviation(
  trader: TradingNode,
  before: Map<string, bigint>,
  records: SwapRecord[],
  assets: string[],
): Promise<Map<string, bigint>> {
  const after = await holdings(trader, assets)
  const expected = await expectedChanges(trader, records, assets)
  return new Map(
    assets.map((asset) => [
      asset,
      (after.get(asset) ?? 0n) - (before.get(asset) ?? 0n) - (expected.get(asset) ?? 0n),
    ]),
  )
}

/**
 * `trader`'s holdings moved from `before` by exactly what its swaps `records` and their fees say. Resolves to
 * what it ended short of, per asset (base units, 0n when whole): the funds a fault cost it.
 */
export async function assertBalances(
  t: ExecutionContext,
  trader: TradingNode,
  before: Map<string, bigint>,
  records: SwapRecord[],
  assets: string[],
): Promise<Map<string, bigint>> {
  const deviation = await balanceDeviation(trader, before, records, assets)
  for (const asset of assets) t.is(deviation.get(asset), 0n, `${asset} of the ${records[0]?.role}`)
  return new Map([...deviation].map(([asset, amount]) => [asset, amount < 0n ? -amount : 0n]))
}
