import { randomBytes } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import test, { type ExecutionContext } from 'ava'
import { isSwarmswapError } from '../../src/errors.js'
import { marketId } from '../../src/orderbook/market.js'
import type { OrderbookNode } from '../../src/orderbook/node.js'
import { createOrder, orderIdHex } from '../../src/orderbook/order.js'
import type { IncomingTake, TakeDecision } from '../../src/orderbook/take-maker.js'
import type { SignedOrder } from '../../src/orderbook/types.js'
import type { TakeTerms, WireMessage } from '../../src/p2p/messages.js'
import { decodeMessage } from '../../src/p2p/wire.js'
import {
  acceptTakeRequest,
  signTakeRequest,
  type TakeBinding,
  type TakeRequest,
  type TakeResponse,
  verifyTakeAcceptance,
  verifyTakeRequest,
} from '../../src/p2p/wire-take.js'
import { honestTermsFor, testPartyKeys } from '../helpers/orders.js'
import { hexOf, REGTEST_BTC_ETH as MARKET, P2pScene, type RawPeer, waitUntil } from '../helpers/p2p.js'

// A maker node and a taker node on a local DHT; raw peers play the parts an honest node cannot.
const WAIT_MS = 30_000
const scene = new P2pScene()
let maker: OrderbookNode
let taker: OrderbookNode
let makerKey: string

const MAKER_KEYS = testPartyKeys(0x02, 0x11)
const TAKER_KEYS = testPartyKeys(0x03, 0x22)

/** What the maker's handler decides; each test sets its own. */
let decide: (take: IncomingTake) => Promise<TakeDecision>
let handled: IncomingTake[] = []

test.before(async () => {
  await scene.ready()
  maker = await scene.node('maker')
  taker = await scene.node('taker')
  makerKey = hexOf(maker.publicKey)
  maker.setTakeHandler((take) => {
    handled.push(take)
    return decide(take)
  })
  await Promise.all([maker.join(MARKET), taker.join(MARKET)])
  await waitUntil(() => channelTo(taker, makerKey), WAIT_MS, 'the taker to reach the maker')
})
test.after.always(() => scene.close())
test.beforeEach(() => {
  handled = []
  decide = async (take) => ({ accept: termsFor(take) })
})

function channelTo(node: OrderbookNode, keyHex: string): boolean {
  return node.peers().some((p) => p.publicKey === keyHex && p.markets.includes(marketId(MARKET)))
}

const termsFor = (take: Pick<IncomingTake, 'order' | 'request'>) => honestTermsFor(take, MAKER_KEYS)

/** Places an order at the maker and waits until the taker's book shows it. */
async function placeSeen(
  params: {
    amount?: bigint
    minFill?: bigint
    side?: 'sell' | 'buy'
    priceNum?: bigint
    priceDen?: bigint
  } = {},
) {
  const order = await maker.place({
    market: MARKET,
    side: params.side ?? 'sell',
    amount: params.amount ?? 1_000n,
    minFill: params.minFill ?? 100n,
    priceNum: params.priceNum ?? 3n,
    priceDen: params.priceDen ?? 2n,
    expiry: Math.floor(Date.now() / 1000) + 600,
  })
  await taker.book(MARKET).waitFor((book) => book.has(orderIdHex(order)), WAIT_MS)
  return order
}

const take = (order: SignedOrder, amount: bigint, timeoutMs?: number) =>
  taker.take({ orderId: orderIdHex(order), amount, taker: TAKER_KEYS, ...(timeoutMs ? { timeoutMs } : {}) })

async function refusal(t: ExecutionContext, promise: Promise<unknown>): Promise<unknown> {
  const error = await t.throwsAsync(promise)
  t.true(isSwarmswapError(error, 'TAKE_REFUSED'), String(error))
  return isSwarmswapError(error) ? error.details.reason : undefined
}

test.serial('an accepted take: both signatures verify, the order shrinks at both ends', async (t) => {
  const order = await placeSeen()
  const started = performance.now()
  const result = await take(order, 300n)
  t.log(`take request to verified acceptance: ${(performance.now() - started).toFixed(1)} ms`)

  t.true(verifyTakeRequest(result.request, result.binding), "the taker's signature")
  t.true(verifyTakeAcceptance(result.request, result.acceptance, result.binding), "the maker's signature")
  t.is(result.peer, makerKey)
  t.deepEqual(hexOf(result.binding.maker), makerKey)
  t.deepEqual(hexOf(result.binding.taker), hexOf(taker.publicKey))
  t.is(result.acceptance.terms.baseAmount, 300n)
  t.is(result.acceptance.terms.quoteAmount, 450n)
  t.deepEqual(result.acceptance.terms.taker, TAKER_KEYS)

  const seen = handled[0]
  t.is(handled.length, 1)
  t.is(seen?.remaining, 1_000n, 'the handler sees the remainder before the take')
  t.is(seen?.peer, hexOf(taker.publicKey))
  const hexes = (b: TakeBinding | undefined) => b && [b.handshakeHash, b.maker, b.taker].map(hexOf)
  t.deepEqual(hexes(seen?.binding), hexes(result.binding), 'both ends bind the same connection and keys')

  const id = orderIdHex(order)
  t.is(maker.book(MARKET).get(id)?.remaining, 700n, 'taken off before the acceptance went out')
  await taker.book(MARKET).waitFor((book) => book.get(id)?.remaining === 700n, WAIT_MS)
  const again = performance.now()
  await take(order, 100n)
  t.log(`a second take: ${(performance.now() - again).toFixed(1)} ms`)
  t.is(maker.book(MARKET).get(id)?.remaining, 600n)
})

test.serial('the node refuses wrong amounts itself, without asking the handler', async (t) => {
  const order = await placeSeen({ amount: 1_000n, minFill: 100n })
  t.is(await refusal(t, take(order, 1_001n)), 'amount-above-remaining')
  t.is(await refusal(t, take(order, 99n)), 'amount-below-min-fill')
  const tiny = await placeSeen({ side: 'buy', amount: 10n, minFill: 1n, priceNum: 1n, priceDen: 1_000n })
  t.is(await refusal(t, take(tiny, 5n)), 'quote-rounds-to-zero')
  t.is(handled.length, 0)
  t.is(maker.book(MARKET).get(orderIdHex(order))?.remaining, 1_000n)
})

test.serial('the handler refuses, throws, or offers terms that contradict the request', async (t) => {
  const order = await placeSeen()
  decide = async () => ({ refuse: 'no-liquidity' })
  t.is(await refusal(t, take(order, 100n)), 'no-liquidity', 'its own code reaches the taker')
  decide = async () => ({ refuse: 'Not A Code!' })
  t.is(await refusal(t, take(order, 100n)), 'policy')
  decide = async () => {
    throw new Error('wallet locked')
  }
  t.is(await refusal(t, take(order, 100n)), 'policy')
  const contradictions: ((terms: TakeTerms) => TakeTerms)[] = [
    (terms) => ({ ...terms, quoteAmount: terms.quoteAmount - 1n }),
    (terms) => ({ ...terms, baseAmount: terms.baseAmount + 1n }),
    (terms) => ({ ...terms, taker: MAKER_KEYS }),
    (terms) => ({ ...terms, takerDeadline: terms.makerDeadline }),
    (terms) => ({ ...terms, maker: { ...MAKER_KEYS, evmAddress: `0x${'0'.repeat(40)}` } }),
  ]
  for (const change of contradictions) {
    decide = async (incoming) => ({ accept: change(termsFor(incoming)) })
    t.is(await refusal(t, take(order, 100n)), 'policy')
  }
  t.is(maker.book(MARKET).get(orderIdHex(order))?.remaining, 1_000n, 'nothing was taken off')
})

test.serial('without a handler every take is refused busy', async (t) => {
  const order = await placeSeen()
  maker.setTakeHandler(null)
  try {
    t.is(await refusal(t, take(order, 100n)), 'busy')
  } finally {
    maker.setTakeHandler((incoming) => {
      handled.push(incoming)
      return decide(incoming)
    })
  }
})

test.serial('an order gone at the maker is refused; one in no book is not found', async (t) => {
  const order = await placeSeen()
  await maker.cancel(orderIdHex(order))
  // Synchronously after the cancel: the cancel message cannot have reached the taker's book yet.
  t.true(taker.book(MARKET).has(orderIdHex(order)))
  t.is(await refusal(t, take(order, 100n)), 'order-gone')
  await t.throwsAsync(taker.take({ orderId: '00'.repeat(32), amount: 1n, taker: TAKER_KEYS }), {
    code: 'NOT_FOUND',
  } as never)
})

test.serial('five concurrent takes of an order that fits three: exactly three are accepted', async (t) => {
  const order = await placeSeen({ amount: 300n, minFill: 100n })
  // A slow handler, so the requests are all waiting while the first one is decided.
  decide = async (incoming) => {
    await new Promise((resolve) => setTimeout(resolve, 30))
    return { accept: termsFor(incoming) }
  }
  const results = await Promise.allSettled(Array.from({ length: 5 }, () => take(order, 100n)))
  const accepted = results.filter((r) => r.status === 'fulfilled')
  const reasons = results.flatMap((r) =>
    r.status === 'rejected' && isSwarmswapError(r.reason, 'TAKE_REFUSED') ? [r.reason.details.reason] : [],
  )
  t.is(accepted.length, 3)
  t.deepEqual(reasons, ['amount-above-remaining', 'amount-above-remaining'])
  t.is(handled.length, 3, 'the handler was asked only while the order had room')
  t.false(maker.book(MARKET).has(orderIdHex(order)), 'filled')
  await taker.book(MARKET).waitFor((book) => !book.has(orderIdHex(order)), WAIT_MS)
})

test.serial('a replayed request id is refused (raw taker signing by the spec)', async (t) => {
  const order = await placeSeen()
  const raw = await rawPeer()
  const binding = rawBinding(raw)
  const request = signTakeRequest(
    { requestId: new Uint8Array(randomBytes(16)), orderId: order.id, amount: 200n, taker: TAKER_KEYS },
    binding,
    raw.keyPair.secretKey,
  )
  raw.send(makerKey, request)
  const first = await responseTo(raw, request)
  t.true(first.accepted)
  if (first.accepted) t.true(verifyTakeAcceptance(request, first, binding), "the maker's signature")
  raw.send(makerKey, request)
  const second = await responseTo(raw, request, 1)
  t.deepEqual(second.accepted ? 'accepted' : second.reason, 'duplicate-request')
  t.is(maker.book(MARKET).get(orderIdHex(order))?.remaining, 800n, 'taken off once')
})

test.serial('a take request with a forged signature bans its sender', async (t) => {
  const order = await placeSeen()
  const raw = await rawPeer()
  const forged: TakeRequest = {
    type: 'take-request',
    requestId: new Uint8Array(randomBytes(16)),
    orderId: order.id,
    amount: 100n,
    taker: TAKER_KEYS,
    signature: new Uint8Array(randomBytes(64)),
  }
  const ban = () => maker.banned().find((b) => b.publicKey === raw.publicKeyHex)
  // Sent again on each new connection until the ban: when both ends dial at once, Hyperswarm may close the
  // connection the first copy went out on before it was read (docs/PROTOCOL.md section 9), and that close is
  // not the ban either.
  let sentOn: ReturnType<typeof raw.channel>
  await waitUntil(
    () => {
      const channel = raw.channel(makerKey)
      if (ban() === undefined && channel !== undefined && channel !== sentOn) {
        raw.send(makerKey, forged)
        sentOn = channel
      }
      return ban() !== undefined
    },
    10_000,
    'the maker to ban the sender',
  )
  t.regex(ban()?.reason ?? '', /bad-signature/)
  await waitUntil(() => raw.channel(makerKey) === undefined, 5_000, 'the banned connection to close')
  t.is(handled.length, 0)
  t.is(maker.book(MARKET).get(orderIdHex(order))?.remaining, 1_000n)
})

test.serial('a response nobody asked for is a small offence, not a ban', async (t) => {
  const raw = await rawPeer()
  const takerKey = hexOf(taker.publicKey)
  await waitUntil(() => raw.channel(takerKey) !== undefined, WAIT_MS, 'the raw channel to the taker')
  raw.send(takerKey, {
    type: 'take-response',
    requestId: new Uint8Array(16),
    accepted: false,
    reason: 'busy',
  })
  await waitUntil(
    () => (taker.peers().find((p) => p.publicKey === raw.publicKeyHex)?.misbehaviour ?? 0) >= 5,
    5_000,
    'the offence',
  )
  t.false(taker.banned().some((b) => b.publicKey === raw.publicKeyHex))
})

test.serial('the taker rejects an acceptance that contradicts its request or is not signed', async (t) => {
  const raw = await rawPeer()
  const takerKey = hexOf(taker.publicKey)
  await waitUntil(() => raw.channel(takerKey) !== undefined, WAIT_MS, 'the raw channel to the taker')
  const order = createOrder(
    {
      market: MARKET,
      side: 'sell',
      amount: 1_000n,
      minFill: 1n,
      priceNum: 3n,
      priceDen: 2n,
      expiry: Math.floor(Date.now() / 1000) + 600,
    },
    raw.keyPair,
  )
  raw.send(takerKey, { type: 'orders', orders: [order] })
  await taker.book(MARKET).waitFor((book) => book.has(orderIdHex(order)), WAIT_MS)
  const answer = async (respond: (request: TakeRequest, binding: TakeBinding) => TakeResponse) => {
    const pending = take(order, 100n)
    const request = await requestFrom(raw, takerKey)
    const binding = { ...rawBinding(raw, takerKey), maker: raw.keyPair.publicKey, taker: taker.publicKey }
    raw.send(takerKey, respond(request, binding))
    return t.throwsAsync(pending)
  }
  const wrongQuote = await answer((request, binding) => {
    const terms = { ...termsFor({ order, request }), quoteAmount: 151n }
    return acceptTakeRequest(request, terms, binding, raw.keyPair.secretKey)
  })
  t.like(wrongQuote, { code: 'BAD_DATA', details: { field: 'terms.quoteAmount' } })
  const unsigned = await answer((request, binding) => {
    const acceptance = acceptTakeRequest(
      request,
      termsFor({ order, request }),
      binding,
      raw.keyPair.secretKey,
    )
    return { ...acceptance, signature: new Uint8Array(64) }
  })
  t.like(unsigned, { code: 'BAD_DATA', details: { field: 'signature' } })
})

// Last: the stuck handler keeps this order's queue busy until the maker's handler deadline.
test.serial('a take times out when the handler never answers', async (t) => {
  const order = await placeSeen()
  decide = () => new Promise<TakeDecision>(() => {})
  const started = performance.now()
  await t.throwsAsync(take(order, 100n, 300), { code: 'TIMEOUT' } as never)
  t.true(performance.now() - started >= 295)
  t.is(handled.length, 1)
})

/** A raw peer with an open channel to the maker. */
async function rawPeer(): Promise<RawPeer> {
  const raw = await scene.raw(MARKET)
  await waitUntil(() => raw.channel(makerKey) !== undefined, WAIT_MS, 'the raw channel to the maker')
  return raw
}

/** The binding of the raw peer's connection to a node, the raw peer taking. */
function rawBinding(raw: RawPeer, nodeKey = makerKey): TakeBinding {
  const channel = raw.channel(nodeKey)
  if (channel === undefined) throw new Error('no channel')
  return {
    handshakeHash: new Uint8Array(channel.connection.handshakeHash),
    maker: Buffer.from(nodeKey, 'hex'),
    taker: raw.keyPair.publicKey,
  }
}

function framesFrom(raw: RawPeer, nodeKey: string): WireMessage[] {
  return (raw.received.get(nodeKey) ?? []).map((bytes) => decodeMessage(bytes))
}

/** The `index`-th response the maker sent to this request. */
async function responseTo(raw: RawPeer, request: TakeRequest, index = 0): Promise<TakeResponse> {
  const responses = () =>
    framesFrom(raw, makerKey).filter(
      (m): m is TakeResponse => m.type === 'take-response' && hexOf(m.requestId) === hexOf(request.requestId),
    )
  await waitUntil(() => responses().length > index, WAIT_MS, 'the take response')
  return responses()[index] as TakeResponse
}

/** The next take request the node sent the raw peer that was not answered yet. */
const answered = new Set<string>()
async function requestFrom(raw: RawPeer, nodeKey: string): Promise<TakeRequest> {
  const fresh = () =>
    framesFrom(raw, nodeKey).find(
      (m): m is TakeRequest => m.type === 'take-request' && !answered.has(hexOf(m.requestId)),
    )
  await waitUntil(() => fresh() !== undefined, WAIT_MS, 'the take request')
  const request = fresh() as TakeRequest
  answered.add(hexOf(request.requestId))
  return request
}
