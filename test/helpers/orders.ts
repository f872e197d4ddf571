import { createHash, randomBytes } from 'node:crypto'
import crypto from 'hypercore-crypto'
import { createOrder, type IdentityKeyPair, quoteForBase } from '../../src/orderbook/order.js'
import type { IncomingTake } from '../../src/orderbook/take-maker.js'
import type { Market, Side, SignedOrder } from '../../src/orderbook/types.js'
import type { PartyKeys, TakeTerms } from '../../src/p2p/messages.js'

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

/** Party keys nobody controls, recognisable by their bytes: a compressed-key prefix and one fill byte. */
export function testPartyKeys(prefix: 0x02 | 0x03, fill: number): PartyKeys {
  const btcPubkey = new Uint8Array(33).fill(fill)
  btcPubkey[0] = prefix
  return { btcPubkey, evmAddress: `0x${fill.toString(16).padStart(2, '0').repeat(20)}` }
}

/**
 * Terms an honest maker with `makerKeys` offers for a take: the order's price, a fresh hashlock, one
 * confirmation each, and `deadlines` (default: the taker's in 1 h, the maker's in 2 h).
 */
export function honestTermsFor(
  take: Pick<IncomingTake, 'order' | 'request'>,
  makerKeys: PartyKeys,
  deadlines: Pick<TakeTerms, 'makerDeadline' | 'takerDeadline'> = deadlinesFromNow(),
): TakeTerms {
  return {
    orderId: take.order.id,
    baseAmount: take.request.amount,
    quoteAmount: quoteForBase(take.order, take.request.amount),
    hashlock: new Uint8Array(randomBytes(32)),
    ...deadlines,
    maker: makerKeys,
    taker: take.request.taker,
    btcConfirmations: 1,
    evmConfirmations: 1,
  }
}

function deadlinesFromNow(): Pick<TakeTerms, 'makerDeadline' | 'takerDeadline'> {
  const now = Math.floor(Date.now() / 1000)
  return { makerDeadline: now + 7200, takerDeadline: now + 3600 }
}
