import type { MethodResult } from '../api/schemas.js'
import type {
  AmountView,
  BalanceView,
  DeadlineView,
  DepthLevelView,
  LegView,
  MarketView,
  OrderView,
  PeerView,
  SwapEventView,
  SwapView,
} from '../sdk/types.js'
import { assetLabel, fields, formatWhen, isoSeconds, table } from './format.js'

/** The human text of each command's result. Pure: `now` is unix seconds. */

export function amountText(amount: AmountView): string {
  return `${amount.formatted} ${assetLabel(amount.asset)}`
}

export function infoView(info: MethodResult<'node.info'>): string {
  return fields([
    ['version', `${info.version} (API ${info.apiVersion})`],
    ['network', info.network],
    ['identity', info.identity],
    ['bitcoin', `height ${info.bitcoin.height}, receive address ${info.bitcoin.receiveAddress}`],
    ['evm', `chain ${info.evm.chainId}, height ${info.evm.height}, address ${info.evm.address}`],
    ['evm htlc', info.evm.htlcAddress],
    ['peers', String(info.peers)],
    ['active swaps', String(info.activeSwaps)],
  ])
}

export function balancesView(balances: readonly BalanceView[]): string {
  return table(
    ['ASSET', 'CHAIN', 'CONFIRMED', 'UNCONFIRMED'],
    balances.map((b) => [assetLabel(b.asset), b.chain, b.confirmed.formatted, b.unconfirmed.formatted]),
    ['left', 'left', 'decimal', 'decimal'],
  )
}

export function marketsView(markets: readonly MarketView[]): string {
  return markets.length === 0 ? 'no markets joined' : markets.map((market) => market.id).join('\n')
}

export function bookView(book: MethodResult<'orderbook.get'>, now: number): string {
  const { base, quote } = book.market
  const levels = (title: string, rows: readonly DepthLevelView[]) =>
    `${title}\n${table(
      ['PRICE', `AMOUNT ${assetLabel(base)}`, 'ORDERS'],
      rows.map((level) => [level.price, level.amount.formatted, String(level.orders)]),
      ['decimal', 'decimal', 'right'],
    )}`
  // Asks are listed from the highest price down, so the best ask sits right above the best bid.
  const asks = [...book.depth.asks].reverse()
  const spread =
    book.depth.asks[0] !== undefined && book.depth.bids[0] !== undefined ? '' : ' (one side empty)'
  return [
    `${book.market.id}  price in ${assetLabel(quote)} per ${assetLabel(base)}`,
    '',
    levels(`ASKS (sell ${assetLabel(base)})`, asks),
    `-- spread${spread} --`,
    levels(`BIDS (buy ${assetLabel(base)})`, book.depth.bids),
    '',
    'ORDERS',
    ordersView([...book.asks, ...book.bids], now),
  ].join('\n')
}

export function ordersView(orders: readonly OrderView[], now: number): string {
  if (orders.length === 0) return 'no orders'
  return table(
    ['ORDER ID', 'SIDE', 'PRICE', 'REMAINING', 'MIN FILL', 'MARKET', 'EXPIRES', 'OWN'],
    orders.map((order) => [
      order.orderId,
      order.side,
      order.price,
      order.remaining.formatted,
      order.minFill.formatted,
      order.market.id,
      formatWhen(order.expiry, now),
      order.own ? 'yes' : '',
    ]),
    ['left', 'left', 'decimal', 'decimal', 'decimal', 'left', 'left', 'left'],
  )
}

export function orderPlacedView(order: OrderView, now: number): string {
  const { base, quote } = order.market
  return fields([
    ['order', order.orderId],
    ['market', order.market.id],
    [
      'side',
      `${order.side} ${amountText(order.amount)} at ${order.price} ${assetLabel(quote)}/${assetLabel(base)}`,
    ],
    ['min fill', amountText(order.minFill)],
    ['expires', formatWhen(order.expiry, now)],
  ])
}

export function swapsView(swaps: readonly SwapView[]): string {
  if (swaps.length === 0) return 'no swaps'
  return table(
    ['SWAP ID', 'ROLE', 'STATUS', 'MAKER SENDS', 'TAKER SENDS', 'UPDATED'],
    swaps.map((swap) => [
      swap.id,
      swap.role,
      swap.status,
      amountText(swap.makerLeg.amount),
      amountText(swap.takerLeg.amount),
      isoSeconds(Math.floor(swap.updatedAt / 1000)),
    ]),
  )
}

/** Everything about one swap: legs, who must act by when, and each step with its txid. */
export function swapView(swap: SwapView, now: number): string {
  return [swapHeaderView(swap, now), '', 'STEPS', ...swap.history.map(swapEventLine)].join('\n')
}

/** The part of `swapView` that does not change as the swap runs (plus its current status). */
export function swapHeaderView(swap: SwapView, now: number): string {
  const outcome = swap.final ? ` (final${swap.reason === undefined ? '' : `: ${swap.reason}`})` : ''
  return [
    fields([
      ['swap', swap.id],
      ['status', `${swap.status}${outcome}`],
      ['role', `${swap.role}, peer ${swap.peer}`],
      ['market', `${swap.market.id}, order ${swap.orderId}`],
      ['maker sends', legText(swap.makerLeg, now)],
      ['taker sends', legText(swap.takerLeg, now)],
      ['hashlock', swap.makerLeg.hashlock],
    ]),
    '',
    'DEADLINES (who must act by when)',
    deadlinesView(swap.timeline, now),
  ].join('\n')
}

/** 'maker must lock BTC  by    2026-11-25 13:12:38Z (in 4m 53s)', in time order as the daemon gives them. */
export function deadlinesView(timeline: readonly DeadlineView[], now: number): string {
  return table(
    ['ACTION', 'WHEN', 'TIME'],
    timeline.map((deadline) => [
      // The daemon's text ends with the time in ISO form; it is shown in its own column instead.
      deadline.text.replace(/ (?:by|from) \d{4}-\d\d-\d\dT[\d:.]+Z$/, ''),
      deadline.when,
      formatWhen(deadline.at, now),
    ]),
  )
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n')
}

function legText(leg: LegView, now: number): string {
  const party = (keys: LegView['sender']) => (leg.chain === 'bitcoin' ? keys.btcPubkey : keys.evmAddress)
  return (
    `${amountText(leg.amount)} on ${leg.chain}, ${party(leg.sender)} -> ${party(leg.recipient)}, ` +
    `refundable from ${formatWhen(leg.deadline, now)}, ${leg.confirmations} conf.`
  )
}

/** One step: '2026-11-25 13:00:02Z  locked  maker locked 0.1 BTC  bitcoin tx <txid>'. */
export function swapEventLine(event: SwapEventView): string {
  const chain = event.chain === undefined ? '' : `${event.chain} `
  const tx = event.txid === undefined ? '' : `  ${chain}tx ${event.txid}`
  return `  ${isoSeconds(Math.floor(event.at / 1000))}  ${event.status.padEnd(14)} ${event.note}${tx}`
}

export function peersView(peers: readonly PeerView[], now: number): string {
  if (peers.length === 0) return 'no peers connected'
  return table(
    ['PEER', 'MARKETS', 'CONNECTED', 'MISBEHAVIOUR'],
    peers.map((peer) => [
      peer.publicKey,
      peer.markets.join(','),
      formatWhen(Math.floor(peer.connectedAt / 1000), now),
      String(peer.misbehaviour),
    ]),
    ['left', 'left', 'left', 'right'],
  )
}
