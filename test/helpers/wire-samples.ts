import { randomBytes } from 'node:crypto'
import crypto from 'hypercore-crypto'
import { signOrder } from '../../src/orderbook/order.js'
import type { Market, OrderBody, SignedOrder } from '../../src/orderbook/types.js'
import type { ChannelHandshake, PartyKeys, TakeTerms, WireMessage } from '../../src/p2p/messages.js'
import { acceptTakeRequest, signTakeRequest, type TakeBinding } from '../../src/p2p/wire-take.js'

/**
 * Valid values of every order book wire message, signed by fixed keys: the fixtures of the wire codec tests
 * and the seeds of its fuzzing (test/p2p/wire.test.ts, test/faults/fuzz.test.ts).
 */

const keyPair = (seed: number) => {
  const pair = crypto.keyPair(new Uint8Array(32).fill(seed))
  return { publicKey: Uint8Array.from(pair.publicKey), secretKey: Uint8Array.from(pair.secretKey) }
}
const maker = keyPair(1)
const taker = keyPair(2)

export const market: Market = { network: 'regtest', base: 'BTC', quote: 'ETH' }
export const handshake: ChannelHandshake = { version: 1, market }

export const body: OrderBody = {
  version: 1,
  market,
  side: 'sell',
  amount: 150_000_000n,
  minFill: 10_000_000n,
  priceNum: 15n,
  priceDen: 1n,
  expiry: 1_800_003_600,
  createdAt: 1_800_000_000_000,
  maker: maker.publicKey,
  nonce: new Uint8Array(16).fill(7),
}
export const order = signOrder(body, maker.secretKey)

/** Another order of the same maker, distinct by a random nonce and amount i+1000. */
export const orderWith = (i: number): SignedOrder =>
  signOrder(
    { ...body, nonce: Uint8Array.from(randomBytes(16)), amount: BigInt(i + 1) * 1000n, minFill: 1n },
    maker.secretKey,
  )

export const binding: TakeBinding = {
  handshakeHash: new Uint8Array(64).fill(9),
  maker: maker.publicKey,
  taker: taker.publicKey,
}
const partyKeys = (prefix: number, fill: number): PartyKeys => ({
  btcPubkey: Uint8Array.from([prefix, ...new Uint8Array(32).fill(fill)]),
  evmAddress: `0x${'ab'.repeat(19)}${fill.toString(16).padStart(2, '0')}`,
})
export const request = signTakeRequest(
  { requestId: new Uint8Array(16).fill(3), orderId: order.id, amount: 50_000_000n, taker: partyKeys(2, 4) },
  binding,
  taker.secretKey,
)
export const terms: TakeTerms = {
  orderId: order.id,
  baseAmount: 50_000_000n,
  quoteAmount: 750_000_000n,
  hashlock: new Uint8Array(32).fill(5),
  makerDeadline: 1_800_007_200,
  takerDeadline: 1_800_003_600,
  maker: partyKeys(3, 6),
  taker: partyKeys(2, 4),
  btcConfirmations: 1,
  evmConfirmations: 2,
}
export const acceptance = acceptTakeRequest(request, terms, binding, maker.secretKey)

/** One or more valid messages of every type. */
export const SAMPLES: WireMessage[] = [
  { type: 'orders', orders: [order] },
  { type: 'orders', orders: [order, orderWith(1), orderWith(2)] },
  { type: 'cancel', ids: [order.id] },
  { type: 'update', id: order.id, remaining: 0n },
  { type: 'update', id: order.id, remaining: 99n },
  { type: 'ping', nonce: 0n },
  { type: 'pong', nonce: (1n << 64n) - 1n },
  request,
  acceptance,
  { type: 'take-response', requestId: request.requestId, accepted: false, reason: 'order-gone' },
  { type: 'nudge', swapId: new Uint8Array(32).fill(8) },
]
