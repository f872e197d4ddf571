import { z } from 'zod'
import { SWAP_STATUSES } from '../swap/types.js'

/**
 * The daemon's local API (JSON-RPC 2.0 over HTTP, notifications over WebSocket): every method's params
 * and result, and every notification, as zod schemas. The daemon validates params with them, the SDK
 * validates results with them; neither imports the other. docs/API.md documents the same.
 *
 * Amounts a person types are decimal strings in whole units of the asset ("0.5" BTC); amounts the API
 * returns are base-unit integer strings (`amount`) next to their whole-unit form (`formatted`). Never a
 * JSON number for money.
 */

export const API_VERSION = 1

/** A decimal number of whole units, as a string: "1", "0.5", ".25" are fine; "1e3", "-1", "0x10" are not. */
export const decimalString = z
  .string()
  .regex(/^(?:\d+(?:\.\d*)?|\.\d+)$/, 'a positive decimal number such as "0.5"')
  .max(80)
/** Base units as a canonical integer string. */
export const unitsString = z
  .string()
  .regex(/^(?:0|[1-9]\d*)$/, 'base units as an integer string')
  .max(80)
export const hex32 = z.string().regex(/^[0-9a-f]{64}$/, '64 lower-case hex digits')
export const assetId = z
  .string()
  .regex(/^(?:BTC|ETH|ERC20:0x[0-9a-f]{40})$/, "'BTC', 'ETH' or 'ERC20:0x<address>'")
export const chainKind = z.enum(['bitcoin', 'evm'])
export const side = z.enum(['sell', 'buy'])
export const swapStatus = z.enum(SWAP_STATUSES)

export const marketParams = z.strictObject({ base: assetId, quote: assetId })
export const marketView = z.strictObject({
  network: z.enum(['regtest', 'testnet', 'mainnet']),
  base: assetId,
  quote: assetId,
  /** 'regtest:BTC/ETH'. */
  id: z.string(),
})

export const amountView = z.strictObject({ asset: assetId, amount: unitsString, formatted: z.string() })

export const orderView = z.strictObject({
  orderId: hex32,
  market: marketView,
  side,
  /** Base units offered (sell) or wanted (buy), the order's total and what is left. */
  amount: amountView,
  remaining: amountView,
  minFill: amountView,
  /** Quote whole units per one base whole unit, exact decimal (e.g. "20" ETH per BTC). */
  price: z.string(),
  priceNum: unitsString,
  priceDen: unitsString,
  /** Hex identity of the maker. */
  maker: hex32,
  /** Unix seconds. */
  expiry: z.number().int(),
  own: z.boolean(),
})

export const depthLevelView = z.strictObject({
  price: z.string(),
  amount: amountView,
  orders: z.number().int(),
})

export const partyKeysView = z.strictObject({ btcPubkey: z.string(), evmAddress: z.string() })
export const legView = z.strictObject({
  chain: chainKind,
  asset: assetId,
  amount: amountView,
  hashlock: hex32,
  /** Unix seconds. */
  deadline: z.number().int(),
  sender: partyKeysView,
  recipient: partyKeysView,
  confirmations: z.number().int(),
})
export const swapEventView = z.strictObject({
  /** Unix ms. */
  at: z.number().int(),
  status: swapStatus,
  note: z.string(),
  txid: z.string().optional(),
  chain: chainKind.optional(),
})
export const deadlineView = z.strictObject({
  who: z.enum(['maker', 'taker']),
  action: z.enum(['lock', 'claim', 'refund']),
  when: z.enum(['by', 'from']),
  at: z.number().int(),
  text: z.string(),
})
export const swapView = z.strictObject({
  id: hex32,
  role: z.enum(['maker', 'taker']),
  status: swapStatus,
  /** Completed, refunded or failed: nothing more will happen. */
  final: z.boolean(),
  market: marketView,
  orderId: hex32,
  peer: hex32,
  makerLeg: legView,
  takerLeg: legView,
  /** Who must act by when, in time order. */
  timeline: z.array(deadlineView),
  history: z.array(swapEventView),
  makerLockTxid: z.string().optional(),
  takerLockTxid: z.string().optional(),
  reason: z.string().optional(),
  createdAt: z.number().int(),
  updatedAt: z.number().int(),
})

export const peerView = z.strictObject({
  publicKey: hex32,
  markets: z.array(z.string()),
  connectedAt: z.number().int(),
  misbehaviour: z.number().int(),
})

export const balanceView = z.strictObject({
  asset: assetId,
  chain: chainKind,
  /** Spendable now. */
  confirmed: amountView,
  /** Arriving (Bitcoin mempool); "0" on the EVM chain. */
  unconfirmed: amountView,
})

const empty = z.strictObject({})

/** Every method: its params and its result. */
export const methods = {
  'node.info': {
    params: empty,
    result: z.strictObject({
      version: z.string(),
      apiVersion: z.literal(API_VERSION),
      network: z.enum(['regtest', 'testnet', 'mainnet']),
      identity: hex32,
      bitcoin: z.strictObject({ height: z.number().int(), receiveAddress: z.string() }),
      evm: z.strictObject({
        height: z.number().int(),
        chainId: z.number().int(),
        address: z.string(),
        htlcAddress: z.string(),
      }),
      peers: z.number().int(),
      activeSwaps: z.number().int(),
    }),
  },
  'wallet.balance': {
    params: empty,
    result: z.strictObject({ balances: z.array(balanceView) }),
  },
  'wallet.newAddress': {
    params: z.strictObject({ chain: chainKind }),
    result: z.strictObject({ chain: chainKind, address: z.string() }),
  },
  'wallet.withdraw': {
    params: z.strictObject({ asset: assetId, to: z.string().min(1).max(100), amount: decimalString }),
    result: z.strictObject({ chain: chainKind, txid: z.string(), amount: amountView }),
  },
  'markets.list': {
    params: empty,
    result: z.strictObject({ markets: z.array(marketView) }),
  },
  'markets.join': {
    params: marketParams,
    result: z.strictObject({ market: marketView }),
  },
  'markets.leave': {
    params: marketParams,
    result: z.strictObject({ market: marketView }),
  },
  'orderbook.get': {
    params: marketParams.extend({ depth: z.number().int().min(1).max(1000).optional() }),
    result: z.strictObject({
      market: marketView,
      bids: z.array(orderView),
      asks: z.array(orderView),
      depth: z.strictObject({ bids: z.array(depthLevelView), asks: z.array(depthLevelView) }),
    }),
  },
  'orders.place': {
    params: marketParams.extend({
      side,
      /** Whole units of the base asset. */
      amount: decimalString,
      /** Quote whole units per one base whole unit. */
      price: decimalString,
      /** Smallest fill, whole base units; default the whole amount. */
      minFill: decimalString.optional(),
      /** Seconds until the order expires; default 3600. */
      expiresIn: z
        .number()
        .int()
        .min(10)
        .max(30 * 24 * 3600)
        .optional(),
    }),
    result: z.strictObject({ order: orderView }),
  },
  'orders.list': {
    params: empty,
    result: z.strictObject({ orders: z.array(orderView) }),
  },
  'orders.cancel': {
    params: z.strictObject({ orderId: hex32 }),
    result: z.strictObject({ orderId: hex32 }),
  },
  'orders.take': {
    params: z.strictObject({
      orderId: hex32,
      /** Whole units of the base asset; default everything left. */
      amount: decimalString.optional(),
    }),
    result: z.strictObject({ swap: swapView }),
  },
  'swaps.list': {
    params: z.strictObject({
      limit: z.number().int().min(1).max(10_000).optional(),
      /** Only swaps still running. */
      active: z.boolean().optional(),
    }),
    result: z.strictObject({ swaps: z.array(swapView) }),
  },
  'swaps.get': {
    params: z.strictObject({ id: hex32 }),
    result: z.strictObject({ swap: swapView }),
  },
  'swaps.refund': {
    params: z.strictObject({ id: hex32 }),
    result: z.strictObject({ swap: swapView }),
  },
  'peers.list': {
    params: empty,
    result: z.strictObject({ peers: z.array(peerView) }),
  },
} as const

export type MethodName = keyof typeof methods
export type MethodParams<M extends MethodName> = z.input<(typeof methods)[M]['params']>
export type MethodResult<M extends MethodName> = z.output<(typeof methods)[M]['result']>

/** Notifications pushed over the WebSocket, as JSON-RPC 2.0 notifications ({ jsonrpc, method, params }). */
export const notifications = {
  /** A swap's stored record changed. */
  'swap.updated': z.strictObject({ swap: swapView }),
  /** An order appeared, changed or left a joined book. */
  'orderbook.changed': z.strictObject({
    market: marketView,
    change: z.enum(['added', 'updated', 'removed']),
    order: orderView,
    /** For 'removed': why. */
    reason: z.string().optional(),
  }),
} as const

export type NotificationName = keyof typeof notifications
export type NotificationParams<N extends NotificationName> = z.output<(typeof notifications)[N]>

/**
 * JSON-RPC error codes. -32700..-32600 are JSON-RPC's own; application errors use APP_ERROR with
 * `data: { code: <SwarmswapError code>, details }`.
 */
export const RPC_ERRORS = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
  APP_ERROR: -32000,
} as const
