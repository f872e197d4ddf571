import { randomBytes } from 'node:crypto'
import test, { type ExecutionContext } from 'ava'
import { isSwarmswapError } from '../../src/errors.js'
import { marketId } from '../../src/orderbook/market.js'
import type { OrderbookNode } from '../../src/orderbook/node.js'
import { orderIdHex } from '../../src/orderbook/order.js'
import type { IncomingTake, TakeDecision } from '../../src/orderbook/take-maker.js'
import type { SignedOrder } from '../../src/orderbook/types.js'
import { signTakeRequest } from '../../src/p2p/wire-take.js'
import { honestTermsFor, testPartyKeys } from '../helpers/orders.js'
import { hexOf, REGTEST_BTC_ETH as MARKET, P2pScene, waitUntil } from '../helpers/p2p.js'

// A maker's handler learns exactly once what became of its acceptance: committed (sent) or released (dropped).
const WAIT_MS = 30_000
const scene = new P2pScene()
let maker: OrderbookNode
let taker: OrderbookNode
let makerKey: string

const MAKER_KEYS = testPartyKeys(0x02, 0x11)
const TAKER_KEYS = testPartyKeys(0x03, 0x22)

test.before(async () => {
  await scene.ready()
  maker = await scene.node('maker')
  taker = await scene.node('taker')
  makerKey = hexOf(maker.publicKey)
  await Promise.all([maker.join(MARKET), taker.join(MARKET)])
  await waitUntil(
    () => taker.peers().some((p) => p.publicKey === makerKey && p.markets.includes(marketId(MARKET))),
    WAIT_MS,
    'the taker to reach the maker',
  )
})
test.after.always(() => scene.close())

const termsFor = (take: IncomingTake) => honestTermsFor(take, MAKER_KEYS)

async function placeSeen(): Promise<SignedOrder> {
  const order = await maker.place({
    market: MARKET,
    side: 'sell',
    amount: 1_000n,
    minFill: 100n,
    priceNum: 3n,
    priceDen: 2n,
    expiry: Math.floor(Date.now() / 1000) + 600,
  })
  await taker.book(MARKET).waitFor((book) => book.has(orderIdHex(order)), WAIT_MS)
  return order
}

/** Sets a handler that runs `before` and then accepts, counting its commit and release calls. */
function acceptAfter(before: () => Promise<void>): { commits: number; releases: number } {
  const calls = { commits: 0, releases: 0 }
  maker.setTakeHandler(async (take): Promise<TakeDecision> => {
    await before()
    return {
      accept: termsFor(take),
      commit: () => {
        calls.commits++
      },
      release: () => {
        calls.releases++
      },
    }
  })
  return calls
}

async function refusal(t: ExecutionContext, promise: Promise<unknown>): Promise<unknown> {
  const error = await t.throwsAsync(promise)
  return isSwarmswapError(error, 'TAKE_REFUSED') ? error.details.reason : error
}

test.serial('a sent acceptance is committed, never released', async (t) => {
  const order = await placeSeen()
  const calls = acceptAfter(async () => {})
  await taker.take({ orderId: orderIdHex(order), amount: 100n, taker: TAKER_KEYS })
  t.deepEqual(calls, { commits: 1, releases: 0 })
})

test.serial(
  'an acceptance dropped because the order went meanwhile is released, not committed',
  async (t) => {
    const order = await placeSeen()
    const calls = acceptAfter(() => maker.cancel(orderIdHex(order)))
    t.is(
      await refusal(t, taker.take({ orderId: orderIdHex(order), amount: 100n, taker: TAKER_KEYS })),
      'order-gone',
    )
    t.deepEqual(calls, { commits: 0, releases: 1 })
  },
)

test.serial(
  'an acceptance dropped because the taker left meanwhile is released, not committed',
  async (t) => {
    const order = await placeSeen()
    const raw = await scene.raw(MARKET)
    await waitUntil(() => raw.channel(makerKey) !== undefined, WAIT_MS, 'the raw channel to the maker')
    const calls = acceptAfter(async () => {
      await raw.close()
      await waitUntil(
        () => !maker.peers().some((p) => p.publicKey === raw.publicKeyHex),
        WAIT_MS,
        'the close',
      )
    })
    const channel = raw.channel(makerKey)
    if (channel === undefined) throw new Error('no channel')
    const binding = {
      handshakeHash: new Uint8Array(channel.connection.handshakeHash),
      maker: maker.publicKey,
      taker: raw.keyPair.publicKey,
    }
    const request = signTakeRequest(
      { requestId: new Uint8Array(randomBytes(16)), orderId: order.id, amount: 100n, taker: TAKER_KEYS },
      binding,
      raw.keyPair.secretKey,
    )
    raw.send(makerKey, request)
    await waitUntil(() => calls.releases > 0, WAIT_MS, 'the release')
    t.deepEqual(calls, { commits: 0, releases: 1 })
    t.is(maker.book(MARKET).get(orderIdHex(order))?.remaining, 1_000n, 'nothing taken off')
  },
)
