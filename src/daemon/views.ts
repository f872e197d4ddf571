import type { z } from 'zod'
import type { depthLevelView, marketView, orderView, swapView } from '../api/schemas.js'
import { marketId } from '../orderbook/market.js'
import { orderIdHex } from '../orderbook/order.js'
import type { BookEntry, DepthLevel, Market } from '../orderbook/types.js'
import type { PartyKeys } from '../p2p/messages.js'
import type { TimelockPolicy } from '../swap/policy.js'
import { swapTimeline } from '../swap/timeline.js'
import { FINAL_STATUSES, type LegTerms, type SwapRecord } from '../swap/types.js'
import type { AssetDecimals } from './assets.js'
import { priceText } from './units.js'

/** How the API shows the engine's and the order book's records (the shapes of src/api/schemas.ts). */

export type MarketView = z.output<typeof marketView>
export type OrderView = z.output<typeof orderView>
export type SwapView = z.output<typeof swapView>
type DepthLevelView = z.output<typeof depthLevelView>

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')

export function marketViewOf(market: Market): MarketView {
  return { network: market.network, base: market.base, quote: market.quote, id: marketId(market) }
}

export async function orderViewOf(entry: BookEntry, me: string, decimals: AssetDecimals): Promise<OrderView> {
  const { order } = entry
  const base = order.market.base
  const [baseDecimals, quoteDecimals] = await Promise.all([
    decimals.of(base),
    decimals.of(order.market.quote),
  ])
  return {
    orderId: orderIdHex(order),
    market: marketViewOf(order.market),
    side: order.side,
    amount: await decimals.view(base, order.amount),
    remaining: await decimals.view(base, entry.remaining),
    minFill: await decimals.view(base, order.minFill),
    price: priceText(order.priceNum, order.priceDen, baseDecimals, quoteDecimals),
    priceNum: order.priceNum.toString(),
    priceDen: order.priceDen.toString(),
    maker: hex(order.maker),
    expiry: order.expiry,
    own: hex(order.maker) === me,
  }
}

export async function depthLevelViewOf(
  market: Market,
  level: DepthLevel,
  decimals: AssetDecimals,
): Promise<DepthLevelView> {
  const [baseDecimals, quoteDecimals] = await Promise.all([
    decimals.of(market.base),
    decimals.of(market.quote),
  ])
  return {
    price: priceText(level.priceNum, level.priceDen, baseDecimals, quoteDecimals),
    amount: await decimals.view(market.base, level.amount),
    orders: level.orders,
  }
}

export async function swapViewOf(
  record: SwapRecord,
  policy: TimelockPolicy,
  decimals: AssetDecimals,
): Promise<SwapView> {
  return {
    id: record.id,
    role: record.role,
    status: record.status,
    final: FINAL_STATUSES.has(record.status),
    market: marketViewOf(record.market),
    orderId: record.orderId,
    peer: record.peer,
    makerLeg: await legViewOf(record.makerLeg, decimals),
    takerLeg: await legViewOf(record.takerLeg, decimals),
    timeline: swapTimeline(record, policy),
    history: record.history.map((event) => ({
      at: event.at,
      status: event.status,
      note: event.note,
      ...(event.txid === undefined ? {} : { txid: event.txid }),
      ...(event.chain === undefined ? {} : { chain: event.chain }),
    })),
    ...(record.makerLock === undefined ? {} : { makerLockTxid: record.makerLock.txid }),
    ...(record.takerLock === undefined ? {} : { takerLockTxid: record.takerLock.txid }),
    ...(record.reason === undefined ? {} : { reason: record.reason }),
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  }
}

async function legViewOf(leg: LegTerms, decimals: AssetDecimals) {
  return {
    chain: leg.chain,
    asset: leg.asset,
    amount: await decimals.view(leg.asset, leg.amount),
    hashlock: hex(leg.hashlock),
    deadline: leg.deadline,
    sender: partyView(leg.sender),
    recipient: partyView(leg.recipient),
    confirmations: leg.confirmations,
  }
}

function partyView(keys: PartyKeys) {
  return { btcPubkey: hex(keys.btcPubkey), evmAddress: keys.evmAddress }
}
