import test, { type ExecutionContext } from 'ava'
import type { TradingNode } from '../../src/daemon/trading-node.js'
import type { Market, Side, SignedOrder } from '../../src/orderbook/types.js'
import { FINAL_STATUSES, type SwapRecord } from '../../src/swap/types.js'
import { assertBalances, hex, openMarket, placeOrder } from '../helpers/swaps.js'
import { holdings, SwapScene } from '../helpers/traders.js'

/**
 * Whole swaps between two trading nodes on the real regtest chains and a local DHT: negotiation over
 * Hyperswarm, HTLCs on bcoin and anvil, every balance checked against the terms and the fees.
 */

const scene = new SwapScene()
const BTC = 100_000_000n
const ETH = 10n ** 18n
/** 20 ETH per BTC: 2e11 wei per satoshi. */
const PRICE = { priceNum: 200_000_000_000n, priceDen: 1n }
/** 1 BTC for 1000 token units: 1000 units per 1e8 sats. */
const TOKEN_PRICE = { priceNum: 1000n, priceDen: BTC }
const SWAP_TIMEOUT_MS = 60_000

test.before(async () => {
  await scene.ready()
})

test.after.always(async () => {
  await scene.close()
})

const ended = (record: SwapRecord) => FINAL_STATUSES.has(record.status)

async function place(
  maker: TradingNode,
  taker: TradingNode,
  market: Market,
  side: Side,
  amount: bigint,
  minFill: bigint,
  price = PRICE,
): Promise<SignedOrder> {
  return await placeOrder(maker, taker, market, { side, amount, minFill, ...price })
}

async function settle(maker: TradingNode, taker: TradingNode, id: string): Promise<[SwapRecord, SwapRecord]> {
  return await Promise.all([
    maker.engine.waitFor(id, ended, SWAP_TIMEOUT_MS),
    taker.engine.waitFor(id, ended, SWAP_TIMEOUT_MS),
  ])
}

/** Both traders' holdings moved by exactly what their sides of `results` and the fees say; then both close. */
async function assertBothAndClose(
  t: ExecutionContext,
  [maker, taker]: [TradingNode, TradingNode],
  [makerBefore, takerBefore]: [Map<string, bigint>, Map<string, bigint>],
  results: [SwapRecord, SwapRecord][],
  assets: string[],
) {
  await assertBalances(
    t,
    maker,
    makerBefore,
    results.map(([m]) => m),
    assets,
  )
  await assertBalances(
    t,
    taker,
    takerBefore,
    results.map(([, k]) => k),
    assets,
  )
  await Promise.all([maker.close(), taker.close()])
}

test.serial('maker sells BTC for ETH: both claim, balances exact', async (t) => {
  const maker = await scene.trader('sell-maker', { btc: 2n * BTC, eth: ETH })
  const taker = await scene.trader('sell-taker', { eth: 30n * ETH })
  const market = scene.btcEth
  await openMarket(maker, taker, market)
  const order = await place(maker, taker, market, 'sell', BTC / 2n, BTC / 10n)
  const assets = ['BTC', 'ETH']
  const [makerBefore, takerBefore] = await Promise.all([holdings(maker, assets), holdings(taker, assets)])

  const swap = await taker.trader.take({ orderId: hex(order.id), amount: BTC / 2n })
  t.is(swap.takerLeg.amount, 10n * ETH)
  const [m, k] = await settle(maker, taker, swap.id)
  t.is(m.status, 'completed')
  t.is(k.status, 'completed')
  t.truthy(m.makerLock && m.takerLock, 'both locks recorded')
  t.is(
    k.preimage,
    Buffer.from(maker.engine.secretFor(swap.id)).toString('hex'),
    'the taker learned the secret',
  )
  await assertBothAndClose(t, [maker, taker], [makerBefore, takerBefore], [[m, k]], assets)
})

test.serial('maker buys BTC with tokens (ERC-20), taker sells BTC: balances exact', async (t) => {
  const market = scene.btcToken
  const maker = await scene.trader('buy-maker', { eth: ETH, token: 5000n })
  const taker = await scene.trader('buy-taker', { btc: 2n * BTC, eth: ETH })
  await openMarket(maker, taker, market)
  const order = await place(maker, taker, market, 'buy', BTC, BTC / 10n, TOKEN_PRICE)
  const assets = ['BTC', 'ETH', market.quote]
  const [makerBefore, takerBefore] = await Promise.all([holdings(maker, assets), holdings(taker, assets)])

  const swap = await taker.trader.take({ orderId: hex(order.id), amount: BTC })
  t.is(swap.makerLeg.asset, market.quote)
  t.is(swap.makerLeg.amount, 1000n)
  const [m, k] = await settle(maker, taker, swap.id)
  t.is(m.status, 'completed')
  t.is(k.status, 'completed')
  await assertBothAndClose(t, [maker, taker], [makerBefore, takerBefore], [[m, k]], assets)
})

test.serial('a partial fill, then a second take of the rest; the order is used up', async (t) => {
  const maker = await scene.trader('partial-maker', { btc: 2n * BTC, eth: ETH })
  const taker = await scene.trader('partial-taker', { eth: 30n * ETH })
  const market = scene.btcEth
  await openMarket(maker, taker, market)
  const order = await place(maker, taker, market, 'sell', BTC / 2n, BTC / 10n)
  const assets = ['BTC', 'ETH']
  const [makerBefore, takerBefore] = await Promise.all([holdings(maker, assets), holdings(taker, assets)])

  const first = await taker.trader.take({ orderId: hex(order.id), amount: (BTC * 3n) / 10n })
  const book = taker.orderbook.book(market)
  await book.waitFor((b) => b.get(hex(order.id))?.remaining === BTC / 5n, 10_000)
  const second = await taker.trader.take({ orderId: hex(order.id), amount: BTC / 5n })
  const results = await Promise.all([settle(maker, taker, first.id), settle(maker, taker, second.id)])
  for (const [m, k] of results) {
    t.is(m.status, 'completed')
    t.is(k.status, 'completed')
  }
  await t.throwsAsync(taker.trader.take({ orderId: hex(order.id), amount: BTC / 10n }), {
    code: 'NOT_FOUND',
  })
  await assertBothAndClose(t, [maker, taker], [makerBefore, takerBefore], results, assets)
})

test.serial('10 swaps at once between the same two nodes all complete, balances exact', async (t) => {
  const maker = await scene.trader('many-maker', { btc: 3n * BTC, eth: ETH })
  const taker = await scene.trader('many-taker', { eth: 50n * ETH })
  const market = scene.btcEth
  await openMarket(maker, taker, market)
  const order = await place(maker, taker, market, 'sell', BTC, BTC / 100n)
  const assets = ['BTC', 'ETH']
  const [makerBefore, takerBefore] = await Promise.all([holdings(maker, assets), holdings(taker, assets)])

  const swaps = await Promise.all(
    Array.from({ length: 10 }, () => taker.trader.take({ orderId: hex(order.id), amount: BTC / 10n })),
  )
  t.is(new Set(swaps.map((s) => s.id)).size, 10)
  const results = await Promise.all(swaps.map((s) => settle(maker, taker, s.id)))
  t.deepEqual(
    results.map(([m, k]) => `${m.status}/${k.status}`),
    Array(10).fill('completed/completed'),
  )
  await assertBothAndClose(t, [maker, taker], [makerBefore, takerBefore], results, assets)
})
