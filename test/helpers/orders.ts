import { createHash } from 'node:crypto'
import crypto from 'hypercore-crypto'
import { createOrder, type IdentityKeyPair } from '../../src/orderbook/order.js'
import type { Market, Side, SignedOrder } from '../../src/orderbook/types.js'

export const TEST_MARKET: Market = { network: 'regtest', base: 'BTC', quote: 'ETH' }
/** The tests' clock: 2027-01-15T08:00:00Z in unix ms. */
export const TEST_NOW_MS = 1_800_000_000_000

export interface TestOrderParams {
  side: Side
  /** "num/den", e.g. "2/4". */
  price: string
  amount?: bigint
  minFill?: bigint
  market?: Market
  /** Unix s; default an hour after TEST_NOW_MS. */
  expiry?: number
  /** Unix ms; default a minute before TEST_NOW_MS. */
  createdAt?: number
  maker?: IdentityKeyPair
  /** Makes two otherwise equal orders distinct and repeatable (default: a counter). */
  nonceSeed?: string
}

/** A deterministic maker identity (hypercore-crypto key pair) from a one-byte seed. */
export function testMaker(seed: number): IdentityKeyPair {
  return crypto.keyPair(new Uint8Array(32).fill(seed))
}

let counter = 0

/**
 * A valid signed order made by order.ts's createOrder, checked as of its own createdAt, so tests may
 * make orders that are already expired at TEST_NOW_MS.
 */
export function makeOrder(params: TestOrderParams): SignedOrder {
  const [num = '', den = ''] = params.price.split('/')
  const createdAt = params.createdAt ?? TEST_NOW_MS - 60_000
  const seed = params.nonceSeed ?? `order-${counter++}`
  return createOrder(
    {
      market: params.market ?? TEST_MARKET,
      side: params.side,
      amount: params.amount ?? 100_000n,
      minFill: params.minFill ?? 1n,
      priceNum: BigInt(num),
      priceDen: BigInt(den),
      expiry: params.expiry ?? TEST_NOW_MS / 1000 + 3600,
      createdAt,
      nonce: Uint8Array.from(createHash('sha256').update(seed).digest().subarray(0, 16)),
    },
    params.maker ?? testMaker(1),
    { now: createdAt },
  )
}
