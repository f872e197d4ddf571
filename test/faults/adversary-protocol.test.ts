import { performance } from 'node:perf_hooks'
import test, { type ExecutionContext } from 'ava'
import crypto from 'hypercore-crypto'
import type { TradingNode } from '../../src/daemon/trading-node.js'
import { marketId } from '../../src/orderbook/market.js'
import { createOrder, orderIdHex } from '../../src/orderbook/order.js'
import type { SignedOrder } from '../../src/orderbook/types.js'
import type { TakeTerms } from '../../src/p2p/messages.js'
import { chunkOrders, encodeMessage } from '../../src/p2p/wire.js'
import { acceptTakeRequest, signTakeRequest, type TakeAcceptance } from '../../src/p2p/wire-take.js'
import type { SwapRecord } from '../../src/swap/types.js'
import {
  HostilePeers,
  honestTerms,
  randomRequestId,
  rawBinding,
  responseTo,
  sendOnHello,
  strangerKeys,
  takeRequestFrom,
} from '../helpers/hostile-peers.js'
import {
  AMOUNT,
  ASSETS,
  BTC,
  ETH,
  ended,
  lockCutoff,
  PRICE,
  reached,
  SWAP_TIMEOUT_MS,
  signedAnything,
  timeTo,
} from '../helpers/hostile-swaps.js'
import { type RawPeer, waitUntil } from '../helpers/p2p.js'
import { assertBalances, hex, openMarket, placeOrder } from '../helpers/swaps.js'
import { holdings, SwapScene, TEST_TIMELOCKS } from '../helpers/traders.js'
import { addLosses, faultCase } from './report.js'

/**
 * Issue 6, adversary (protocol): hostile peers speaking the wire protocol by hand (replays, a reused hashlock,
 * terms that break the order or the policy, floods, malformed and oversized frames on both channels) against
 * an honest trading node on the real regtest chains. The honest node loses nothing (exact balances; 0 when
 * nothing was at stake), stores and locks nothing it should not, and after every attack (and during the
 * floods) a third, honest peer still pings it quickly, sees its book change and completes a swap with it.
 */

const scene = new SwapScene()
const MARKET = scene.btcEth
const WAIT_MS = 30_000
/** A ping round trip to the honest node, during a flood or after an attack, stays under this. */
const PING_BOUND_MS = 2_000
/** A take of the honest node's order by the third peer, during a take flood, gets its terms within this. */
const TAKE_BOUND_MS = 5_000
let honest: TradingNode
let third: TradingNode
let honestKey: string
let thirdKey: string
let peers: HostilePeers

test.before(async () => {
  await scene.ready()
  honest = await scene.trader('honest', { btc: BTC, eth: 10n * ETH })
  third = await scene.trader('third', { btc: BTC, eth: 10n * ETH })
  honestKey = hex(honest.orderbook.publicKey)
  thirdKey = hex(third.orderbook.publicKey)
  peers = new HostilePeers(scene, MARKET)
  await openMarket(honest, third, MARKET)
  await waitUntil(() => connected(third, honestKey), WAIT_MS, 'the third peer to reach the honest node')
})

test.after.always(async () => {
  await peers?.close()
  await scene.close()
})

const expiry = () => Math.floor(Date.now() / 1000) + 3600
const connected = (node: TradingNode, key: string) =>
  node.orderbook.peers().some((p) => p.publicKey === key && p.markets.includes(marketId(MARKET)))
const banOf = (key: string) => honest.orderbook.banned().find((ban) => ban.publicKey === key)
const scoreOf = (key: string) => honest.orderbook.peers().find((p) => p.publicKey === key)?.misbehaviour ?? 0
const swapsWith = (key: string) => honest.store.list().filter((record) => record.peer === key)
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function banned(raw: RawPeer, reason: RegExp, t: ExecutionContext): Promise<void> {
  await waitUntil(() => banOf(raw.publicKeyHex) !== undefined, WAIT_MS, 'the ban')
  t.regex(banOf(raw.publicKeyHex)?.reason ?? '', reason)
}

/** Settles without throwing, so a rejection is never unhandled while the test still acts. */
function settle<T>(promise: Promise<T>): Promise<{ value: T } | { error: unknown }> {
  return promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  )
}

function errorOf(outcome: { value: unknown } | { error: unknown }): unknown {
  return 'error' in outcome ? outcome.error : outcome.value
}

/** The third peer's ping round trips to the honest node, measured back to back until stopped. */
function measurePings(): { stop(): Promise<number[]> } {
  let running = true
  const latencies: number[] = []
  // Settled here, so a failed ping is reported by stop() and never left unhandled.
  const loop = settle(
    (async () => {
      while (running) {
        latencies.push(await third.orderbook.ping(honestKey, MARKET))
        await sleep(10)
      }
    })(),
  )
  return {
    async stop() {
      running = false
      const outcome = await loop
      if ('error' in outcome) throw outcome.error
      return latencies
    },
  }
}

function boundedPings(t: ExecutionContext, latencies: number[]): void {
  const worst = Math.max(...latencies)
  t.log(`${latencies.length} pings of the third peer during the flood, worst ${worst.toFixed(1)} ms`)
  t.true(latencies.length > 0, 'pings were measured')
  t.true(worst < PING_BOUND_MS, `worst ping ${worst} ms`)
}

/** The honest node still serves the third peer: connected, a quick ping, and its book changes reach it. */
async function stillServes(t: ExecutionContext): Promise<void> {
  t.true(connected(honest, thirdKey), 'the third peer is still connected')
  const rtt = await third.orderbook.ping(honestKey, MARKET)
  t.true(rtt < PING_BOUND_MS, `ping ${rtt} ms`)
  const order = await honest.orderbook.place({
    market: MARKET,
    side: 'buy',
    amount: 1_000n,
    minFill: 1_000n,
    priceNum: 1n,
    priceDen: 1n,
    expiry: expiry(),
  })
  const book = third.orderbook.book(MARKET)
  await book.waitFor((b) => b.has(orderIdHex(order)), WAIT_MS)
  await honest.orderbook.cancel(orderIdHex(order))
  await book.waitFor((b) => !b.has(orderIdHex(order)), WAIT_MS)
}

/** A raw maker: a hostile peer whose order (selling BTC for ETH) is in the honest node's book. */
interface RawMaker {
  raw: RawPeer
  order: SignedOrder
  keys: ReturnType<typeof strangerKeys>
}

async function rawMaker(): Promise<RawMaker> {
  const raw = await peers.connect(honestKey)
  const order = createOrder(
    { market: MARKET, side: 'sell', amount: 10n * AMOUNT, minFill: AMOUNT, ...PRICE, expiry: expiry() },
    raw.keyPair,
  )
  raw.send(honestKey, { type: 'orders', orders: [order] })
  await honest.orderbook.book(MARKET).waitFor((b) => b.has(orderIdHex(order)), WAIT_MS)
  return { raw, order, keys: strangerKeys() }
}

/** The honest node takes AMOUNT of the raw maker's order. */
const takeFrom = (maker: RawMaker, timeoutMs?: number) =>
  honest.trader.take({
    orderId: orderIdHex(maker.order),
    amount: AMOUNT,
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  })

/**
 * The raw maker answers the honest node's `index`-th take request (0 = its first) with honest terms made
 * over by `bend`, signed for this connection.
 */
async function answerTake(
  maker: RawMaker,
  index: number,
  bend: (terms: TakeTerms) => TakeTerms = (terms) => terms,
): Promise<TakeAcceptance> {
  const request = await takeRequestFrom(maker.raw, honestKey, index)
  const terms = honestTerms(maker.order, request, maker.keys, TEST_TIMELOCKS, await scene.control.now())
  const binding = rawBinding(maker.raw, honest.orderbook.publicKey, 'maker')
  const acceptance = acceptTakeRequest(request, bend(terms), binding, maker.raw.keyPair.secretKey)
  maker.raw.send(honestKey, acceptance)
  return acceptance
}

/** The honest taker's swap with a raw maker that never locks: it fails at the lock cutoff, nothing signed. */
async function failsUnlocked(t: ExecutionContext, swap: SwapRecord): Promise<SwapRecord> {
  await timeTo(scene, lockCutoff(swap))
  const k = await honest.engine.waitFor(swap.id, ended, SWAP_TIMEOUT_MS)
  t.is(k.status, 'failed')
  t.is(k.reason, 'counterparty-never-locked')
  t.false(signedAnything(k), 'the honest taker signed nothing')
  return k
}

test.serial(
  'replayed take request: refused on its connection, forged on a new one; nothing more stored',
  (t) =>
    faultCase(t, 'adversary', async () => {
      const before = await holdings(honest, ASSETS)
      const order = await honest.orderbook.place({
        market: MARKET,
        side: 'sell',
        amount: 2n * AMOUNT,
        minFill: AMOUNT,
        ...PRICE,
        expiry: expiry(),
      })
      const keyPair = crypto.keyPair()
      const raw = await peers.connect(honestKey, { keyPair })
      const request = signTakeRequest(
        { requestId: randomRequestId(), orderId: order.id, amount: AMOUNT, taker: strangerKeys() },
        rawBinding(raw, honest.orderbook.publicKey, 'taker'),
        keyPair.secretKey,
      )
      raw.send(honestKey, request)
      t.true((await responseTo(raw, honestKey, request.requestId)).accepted, 'the original is accepted')
      const [swap] = swapsWith(raw.publicKeyHex)
      if (swap === undefined) throw new Error('the accepted take stored no swap')

      raw.send(honestKey, request)
      const replayed = await responseTo(raw, honestKey, request.requestId, 1)
      t.is(replayed.accepted ? 'accepted' : replayed.reason, 'duplicate-request')
      // The same identity on a new connection: the signature binds the old one's handshake.
      await raw.close()
      const again = await peers.connect(honestKey, { keyPair })
      again.send(honestKey, request)
      await banned(again, /bad-signature/, t)
      t.is(swapsWith(raw.publicKeyHex).length, 1, 'the replays stored nothing')
      t.is(honest.orderbook.book(MARKET).get(orderIdHex(order))?.remaining, AMOUNT, 'taken off once')

      // The one swap: the honest maker locked, the hostile taker never does; refunded at the deadline.
      await honest.engine.waitFor(swap.id, reached('locked'), SWAP_TIMEOUT_MS)
      await timeTo(scene, swap.makerLeg.deadline + 1)
      const m = await honest.engine.waitFor(swap.id, ended, SWAP_TIMEOUT_MS)
      t.is(m.status, 'refunded')
      t.not(honest.store.refusedUntil(raw.publicKeyHex, Date.now()), null, 'the taker is refused from now on')
      await honest.orderbook.cancel(orderIdHex(order))
      await stillServes(t)
      return { fundsLost: await assertBalances(t, honest, before, [m], ASSETS) }
    }),
)

test.serial('replayed signed terms: dropped as is, forged re-bound; nothing stored, nothing locked', (t) =>
  faultCase(t, 'adversary', async () => {
    const before = await holdings(honest, ASSETS)
    const maker = await rawMaker()
    const first = takeFrom(maker)
    const old = await answerTake(maker, 0)
    const swap = await first

    // The old acceptance as it was: it answers no outstanding request, so the take gets no answer.
    const verbatim = settle(takeFrom(maker, 3_000))
    await takeRequestFrom(maker.raw, honestKey, 1)
    maker.raw.send(honestKey, old)
    t.like(errorOf(await verbatim), { code: 'TIMEOUT' })
    // The old terms and signature under the new request's id: the signature covers the old request.
    const rebound = settle(takeFrom(maker))
    const request = await takeRequestFrom(maker.raw, honestKey, 2)
    maker.raw.send(honestKey, { ...old, requestId: request.requestId })
    t.like(errorOf(await rebound), { code: 'BAD_DATA', details: { field: 'signature' } })
    await banned(maker.raw, /bad-signature/, t)
    t.is(swapsWith(maker.raw.publicKeyHex).length, 1, 'only the first take stored a swap')

    const k = await failsUnlocked(t, swap)
    await stillServes(t)
    return { fundsLost: await assertBalances(t, honest, before, [k], ASSETS) }
  }),
)

test.serial("reused hashlock: terms with an earlier swap's hashlock are refused; nothing stored", (t) =>
  faultCase(t, 'adversary', async () => {
    const before = await holdings(honest, ASSETS)
    const maker = await rawMaker()
    const first = takeFrom(maker)
    const { hashlock } = (await answerTake(maker, 0)).terms
    const swap = await first
    const reuse = async (index: number) => {
      const taking = settle(takeFrom(maker))
      await answerTake(maker, index, (terms) => ({ ...terms, hashlock }))
      t.like(errorOf(await taking), { code: 'TAKE_REFUSED', details: { reason: 'hashlock-reused' } })
    }
    await reuse(1)
    t.is(swapsWith(maker.raw.publicKeyHex).length, 1, 'the reuse stored nothing')
    const k = await failsUnlocked(t, swap)
    await reuse(2)
    t.is(swapsWith(maker.raw.publicKeyHex).length, 1, 'an ended swap keeps its hashlock used')
    await stillServes(t)
    return { fundsLost: await assertBalances(t, honest, before, [k], ASSETS) }
  }),
)

test.serial(
  'terms that contradict the order (price, amount, asset, recipient): refused, the maker scored',
  (t) =>
    faultCase(t, 'adversary', async () => {
      const before = await holdings(honest, ASSETS)
      const stored = honest.store.list().length
      const bends: [string, (terms: TakeTerms, maker: RawMaker) => TakeTerms][] = [
        ['quoteAmount', (terms) => ({ ...terms, quoteAmount: terms.quoteAmount - 1n })],
        ['baseAmount', (terms) => ({ ...terms, baseAmount: terms.baseAmount - 1n })],
        // Terms for the maker's order of another market: other assets than the order taken.
        [
          'orderId',
          (terms, maker) => ({
            ...terms,
            orderId: createOrder(
              {
                market: scene.btcToken,
                side: 'sell',
                amount: AMOUNT,
                minFill: AMOUNT,
                ...PRICE,
                expiry: expiry(),
              },
              maker.raw.keyPair,
            ).id,
          }),
        ],
        ['taker', (terms) => ({ ...terms, taker: strangerKeys() })],
      ]
      for (const [field, bend] of bends) {
        // A fresh identity each: one contradiction scores 60, a second within a minute bans.
        const maker = await rawMaker()
        const taking = settle(takeFrom(maker))
        await answerTake(maker, 0, (terms) => bend(terms, maker))
        t.like(errorOf(await taking), { code: 'BAD_DATA', details: { field: `terms.${field}` } }, field)
        t.true(scoreOf(maker.raw.publicKeyHex) >= 50, `${field}: the maker is scored`)
        await maker.raw.close()
      }
      t.is(honest.store.list().length, stored, 'nothing stored')
      await stillServes(t)
      return { fundsLost: await assertBalances(t, honest, before, [], ASSETS) }
    }),
)

test.serial("terms outside the taker's policy (deadlines, confirmations): refused, nothing stored", (t) =>
  faultCase(t, 'adversary', async () => {
    const before = await holdings(honest, ASSETS)
    const stored = honest.store.list().length
    const { takerLockSeconds: takerLock, minTakerWindowSeconds: minWindow } = TEST_TIMELOCKS
    const bends: [string, (terms: TakeTerms) => TakeTerms][] = [
      [
        'taker-deadline-too-soon',
        (terms) => ({ ...terms, takerDeadline: terms.takerDeadline - takerLock + minWindow }),
      ],
      ['taker-deadline-too-late', (terms) => ({ ...terms, takerDeadline: terms.takerDeadline + 120 })],
      ['maker-deadline-too-short', (terms) => ({ ...terms, makerDeadline: terms.makerDeadline - 200 })],
      ['maker-deadline-too-late', (terms) => ({ ...terms, makerDeadline: terms.makerDeadline + 300 })],
      ['too-few-btc-confirmations', (terms) => ({ ...terms, btcConfirmations: 0 })],
      ['too-few-evm-confirmations', (terms) => ({ ...terms, evmConfirmations: 0 })],
    ]
    // Well-formed, signed terms: no offence, so one identity tries them all.
    const maker = await rawMaker()
    for (const [index, [reason, bend]] of bends.entries()) {
      const taking = settle(takeFrom(maker))
      await answerTake(maker, index, bend)
      t.like(errorOf(await taking), { code: 'TAKE_REFUSED', details: { reason } }, reason)
    }
    t.is(honest.store.list().length, stored, 'nothing stored')
    await maker.raw.close()
    await stillServes(t)
    return { fundsLost: await assertBalances(t, honest, before, [], ASSETS) }
  }),
)

/** A valid order of `raw`'s, small and unique. */
const smallOrder = (raw: RawPeer) =>
  createOrder(
    {
      market: MARKET,
      side: 'buy',
      amount: 1_000n,
      minFill: 1_000n,
      priceNum: 1n,
      priceDen: 1n,
      expiry: expiry(),
    },
    raw.keyPair,
  )

test.serial('order flood beyond the per-peer cap: capped, then banned; the third peer is served', (t) =>
  faultCase(t, 'adversary', async () => {
    const before = await holdings(honest, ASSETS)
    const raw = await peers.connect(honestKey)
    const book = honest.orderbook.book(MARKET)
    const cap = honest.orderbook.limits.maxOrdersPerPeer
    const pings = measurePings()
    // In full-size messages, so only the cap (not the rate limit) stops them.
    const messages = chunkOrders(Array.from({ length: cap + 50 }, () => smallOrder(raw)))
    for (const message of messages) raw.send(honestKey, message)
    await waitUntil(() => book.countOf(raw.publicKeyHex) === cap, WAIT_MS, 'the book to hold the cap')
    // 10 points, decaying by 1 a second.
    await waitUntil(() => scoreOf(raw.publicKeyHex) > 0, WAIT_MS, 'the excess to be scored')
    t.is(banOf(raw.publicKeyHex), undefined, 'going over once is not a ban')
    t.is(book.countOf(raw.publicKeyHex), cap, 'not one order over the cap')
    // It keeps pushing orders over the cap: each message an offence, until the ban.
    for (let i = 0; i < 12; i++) raw.send(honestKey, { type: 'orders', orders: [smallOrder(raw)] })
    await banned(raw, /too-many-orders/, t)
    await waitUntil(() => book.countOf(raw.publicKeyHex) === 0, WAIT_MS, 'its orders to leave the book')
    boundedPings(t, await pings.stop())
    await stillServes(t)
    return { fundsLost: await assertBalances(t, honest, before, [], ASSETS) }
  }),
)

test.serial('order flood beyond the rate limit: banned; the third peer is served throughout', (t) =>
  faultCase(t, 'adversary', async () => {
    const before = await holdings(honest, ASSETS)
    const raw = await peers.connect(honestKey)
    const book = honest.orderbook.book(MARKET)
    const pings = measurePings()
    const flood = 8 * honest.orderbook.limits.messagesPerSecond
    for (let i = 0; i < flood; i++) raw.send(honestKey, { type: 'orders', orders: [smallOrder(raw)] })
    await banned(raw, /rate-limited/, t)
    await waitUntil(() => book.countOf(raw.publicKeyHex) === 0, WAIT_MS, 'its orders to leave the book')
    boundedPings(t, await pings.stop())
    await stillServes(t)
    return { fundsLost: await assertBalances(t, honest, before, [], ASSETS) }
  }),
)

/**
 * A hostile taker sends `count` take requests for AMOUNT of a two-AMOUNT order of the honest node, `gapMs`
 * apart, while the third peer takes another order of the honest node (timed) and swaps. At most what the
 * order holds is accepted; those swaps (the flooder never locks) are refunded. Resolves with the flooder,
 * its requests and the honest parties' shortfall.
 */
async function takeFlood(t: ExecutionContext, count: number, gapMs: number) {
  const [before, thirdBefore] = await Promise.all([holdings(honest, ASSETS), holdings(third, ASSETS)])
  const book = honest.orderbook.book(MARKET)
  const target = await honest.orderbook.place({
    market: MARKET,
    side: 'sell',
    amount: 2n * AMOUNT,
    minFill: AMOUNT,
    ...PRICE,
    expiry: expiry(),
  })
  const forThird = await placeOrder(honest, third, MARKET, {
    side: 'sell',
    amount: AMOUNT,
    minFill: AMOUNT,
    ...PRICE,
  })
  const raw = await peers.connect(honestKey)
  const binding = rawBinding(raw, honest.orderbook.publicKey, 'taker')
  const requests = Array.from({ length: count }, () =>
    signTakeRequest(
      { requestId: randomRequestId(), orderId: target.id, amount: AMOUNT, taker: strangerKeys() },
      binding,
      raw.keyPair.secretKey,
    ),
  )
  const pings = measurePings()
  const sending = settle(
    (async () => {
      for (const request of requests) {
        raw.send(honestKey, request)
        if (gapMs > 0) await sleep(gapMs)
      }
    })(),
  )
  const started = performance.now()
  const swap = await third.trader.take({ orderId: hex(forThird.id), amount: AMOUNT })
  const takeMs = performance.now() - started
  t.log(`the third peer's take during the flood: ${takeMs.toFixed(1)} ms`)
  t.true(takeMs < TAKE_BOUND_MS, `take ${takeMs} ms`)
  t.false('error' in (await sending), 'every request went out')
  const [k, m] = await Promise.all([
    third.engine.waitFor(swap.id, ended, SWAP_TIMEOUT_MS),
    honest.engine.waitFor(swap.id, ended, SWAP_TIMEOUT_MS),
  ])
  t.is(k.status, 'completed')
  t.is(m.status, 'completed')
  boundedPings(t, await pings.stop())

  const flooded = swapsWith(raw.publicKeyHex)
  t.log(`${flooded.length} of ${count} flood takes accepted`)
  t.true(flooded.length <= 2, 'no more accepted than the order holds')
  t.is(book.get(orderIdHex(target))?.remaining ?? 0n, (2n - BigInt(flooded.length)) * AMOUNT)
  await Promise.all(flooded.map((r) => honest.engine.waitFor(r.id, reached('locked'), SWAP_TIMEOUT_MS)))
  if (flooded.length > 0) await timeTo(scene, Math.max(...flooded.map((r) => r.makerLeg.deadline)) + 1)
  const refunds = await Promise.all(flooded.map((r) => honest.engine.waitFor(r.id, ended, SWAP_TIMEOUT_MS)))
  t.true(
    refunds.every((r) => r.status === 'refunded'),
    'the flood swaps refund',
  )
  if (book.has(orderIdHex(target))) await honest.orderbook.cancel(orderIdHex(target))
  await stillServes(t)
  const fundsLost = addLosses(
    await assertBalances(t, honest, before, [m, ...refunds], ASSETS),
    await assertBalances(t, third, thirdBefore, [k], ASSETS),
  )
  return { raw, requests, fundsLost }
}

test.serial(
  'take-request burst over the rate limit: banned, nothing over the order; a third peer swaps',
  (t) =>
    faultCase(t, 'adversary', async () => {
      const { raw, fundsLost } = await takeFlood(t, 3 * honest.orderbook.limits.messagesPerSecond, 0)
      await banned(raw, /rate-limited/, t)
      return { fundsLost }
    }),
)

test.serial(
  'take requests just under the rate limit: the order fills once, the rest refused; a third peer swaps',
  (t) =>
    faultCase(t, 'adversary', async () => {
      // Under the sustained rate: nothing to punish, every request answered.
      const gapMs = Math.ceil(2_000 / honest.orderbook.limits.messagesPerSecond)
      const { raw, requests, fundsLost } = await takeFlood(t, 40, gapMs)
      const answers = await Promise.all(requests.map((r) => responseTo(raw, honestKey, r.requestId)))
      t.deepEqual(
        answers.map((a) => (a.accepted ? 'accepted' : a.reason)),
        [...['accepted', 'accepted'], ...Array.from({ length: 38 }, () => 'amount-above-remaining')],
      )
      t.is(banOf(raw.publicKeyHex), undefined, 'within the limits, not an offence')
      return { fundsLost }
    }),
)

/** A frame over the honest node's size cap, and bytes that start as an `orders` message and break off. */
const oversized = () => new Uint8Array(honest.orderbook.limits.maxMessageBytes + 1).fill(7)
const truncated = (raw: RawPeer) =>
  encodeMessage({ type: 'orders', orders: [smallOrder(raw)] }).subarray(0, 40)

test.serial('market channel: an oversized frame is scored, a malformed one then bans', (t) =>
  faultCase(t, 'adversary', async () => {
    const before = await holdings(honest, ASSETS)
    const raw = await peers.connect(honestKey)
    raw.sendRaw(honestKey, oversized())
    await waitUntil(() => scoreOf(raw.publicKeyHex) >= 50, WAIT_MS, 'the score')
    t.is(banOf(raw.publicKeyHex), undefined, 'one is forgiven')
    raw.sendRaw(honestKey, truncated(raw))
    await banned(raw, /malformed/, t)
    await stillServes(t)
    return { fundsLost: await assertBalances(t, honest, before, [], ASSETS) }
  }),
)

test.serial('hello channel: an order or an oversized frame is scored; a second offence bans', (t) =>
  faultCase(t, 'adversary', async () => {
    const before = await holdings(honest, ASSETS)
    const cases: [first: (raw: RawPeer) => Uint8Array, second: (raw: RawPeer) => Uint8Array, RegExp][] = [
      // Only ping and pong belong on the hello channel (docs/PROTOCOL.md 9).
      [(raw) => encodeMessage({ type: 'orders', orders: [smallOrder(raw)] }), truncated, /malformed/],
      [oversized, oversized, /oversized/],
    ]
    for (const [first, second, reason] of cases) {
      const raw = await peers.connect(honestKey)
      await sendOnHello(raw, honestKey, first(raw))
      await waitUntil(() => scoreOf(raw.publicKeyHex) >= 50, WAIT_MS, 'the score')
      t.is(banOf(raw.publicKeyHex), undefined, 'one is forgiven')
      await sendOnHello(raw, honestKey, second(raw))
      await banned(raw, reason, t)
      t.is(honest.orderbook.book(MARKET).countOf(raw.publicKeyHex), 0, 'no order of it in the book')
    }
    await stillServes(t)
    return { fundsLost: await assertBalances(t, honest, before, [], ASSETS) }
  }),
)

// Not a case of its own (nothing hostile happens): the end of all of them.
test.serial('after every attack the honest node keeps its third peer, and they still swap', async (t) => {
  const [before, thirdBefore] = await Promise.all([holdings(honest, ASSETS), holdings(third, ASSETS)])
  const order = await placeOrder(honest, third, MARKET, {
    side: 'buy',
    amount: AMOUNT,
    minFill: AMOUNT,
    ...PRICE,
  })
  const swap = await third.trader.take({ orderId: hex(order.id), amount: AMOUNT })
  const [k, m] = await Promise.all([
    third.engine.waitFor(swap.id, ended, SWAP_TIMEOUT_MS),
    honest.engine.waitFor(swap.id, ended, SWAP_TIMEOUT_MS),
  ])
  t.is(k.status, 'completed')
  t.is(m.status, 'completed')
  t.is(banOf(thirdKey), undefined)
  await assertBalances(t, honest, before, [m], ASSETS)
  await assertBalances(t, third, thirdBefore, [k], ASSETS)
})
