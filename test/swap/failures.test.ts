import test from 'ava'
import type { TradingNode } from '../../src/daemon/trading-node.js'
import type { Side } from '../../src/orderbook/types.js'
import { FINAL_STATUSES, type SwapRecord } from '../../src/swap/types.js'
import {
  expectedReading,
  haltEngineWhen,
  lockByHand,
  onChain,
  restart,
  type Tamper,
  tamper,
} from '../helpers/faults.js'
import { assertBalances, hex, openMarket, placeOrder } from '../helpers/swaps.js'
import { holdings, SwapScene, TEST_TIMELOCKS } from '../helpers/traders.js'

/**
 * A counterparty that stops, comes back late or locks the wrong thing, on the real regtest chains and a
 * local DHT: the honest party always ends whole (exact balances: what it had, minus the fees of what it
 * sent), never reveals the secret for a wrong lock, and refuses the offender afterwards.
 */

const scene = new SwapScene()
const BTC = 100_000_000n
const ETH = 10n ** 18n
/** 20 ETH per BTC: 2e11 wei per satoshi. */
const PRICE = { priceNum: 200_000_000_000n, priceDen: 1n }
/** Each swap: 0.1 BTC for 2 ETH; orders hold two swaps' worth so a second take can be tried. */
const AMOUNT = BTC / 10n
const ASSETS = ['BTC', 'ETH']
const SWAP_TIMEOUT_MS = 60_000

test.before(async () => {
  await scene.ready()
})

test.after.always(async () => {
  await scene.close()
})

const ended = (record: SwapRecord) => FINAL_STATUSES.has(record.status)
const reached = (status: SwapRecord['status']) => (record: SwapRecord) => record.status === status
const signedAnything = (record: SwapRecord) => record.history.some((event) => / signed/.test(event.note))
const identity = (node: TradingNode) => hex(node.orderbook.publicKey)

interface Deal {
  maker: TradingNode
  taker: TradingNode
  makerBefore: Map<string, bigint>
  takerBefore: Map<string, bigint>
  /** The taker takes AMOUNT of the maker's order. */
  take(): Promise<SwapRecord>
}

/**
 * A maker and a taker on BTC/ETH with an order of the maker's in the taker's book. `side` 'sell': the maker
 * locks BTC and the taker ETH; 'buy': the maker locks ETH and the taker BTC. Each gets ETH for gas.
 */
async function deal(name: string, side: Side): Promise<Deal> {
  const maker = await scene.trader(
    `${name}-maker`,
    side === 'sell' ? { btc: BTC, eth: ETH } : { eth: 10n * ETH },
  )
  const taker = await scene.trader(
    `${name}-taker`,
    side === 'sell' ? { eth: 10n * ETH } : { btc: BTC, eth: ETH },
  )
  const market = scene.btcEth
  await openMarket(maker, taker, market)
  const order = await placeOrder(maker, taker, market, {
    side,
    amount: 2n * AMOUNT,
    minFill: AMOUNT,
    ...PRICE,
  })
  const [makerBefore, takerBefore] = await Promise.all([holdings(maker, ASSETS), holdings(taker, ASSETS)])
  return {
    maker,
    taker,
    makerBefore,
    takerBefore,
    take: () => taker.trader.take({ orderId: hex(order.id), amount: AMOUNT }),
  }
}

/** Makes the chains' clocks reach `unixSeconds` (deadlines pass this way). */
const timeTo = (unixSeconds: number) => scene.control.advanceTimeTo(unixSeconds)

/** The first moment neither party may lock any more: less than the minimum taker window remains. */
const lockCutoff = (swap: SwapRecord) => swap.takerLeg.deadline - TEST_TIMELOCKS.minTakerWindowSeconds + 1

test.serial('maker never locks: the taker fails having sent nothing, and refuses the maker', async (t) => {
  const { maker, taker, takerBefore, take } = await deal('silent-maker', 'sell')
  const halted = haltEngineWhen(maker, maker, reached('negotiated'))
  const swap = await take()
  await halted

  t.is(taker.engine.get(swap.id)?.status, 'negotiated', 'the taker waits while there is time')
  await timeTo(lockCutoff(swap))
  const k = await taker.engine.waitFor(swap.id, ended, SWAP_TIMEOUT_MS)
  t.is(k.status, 'failed')
  t.is(k.reason, 'counterparty-never-locked')
  t.false(signedAnything(k), 'the taker signed no transaction')
  await assertBalances(t, taker, takerBefore, [k], ASSETS)
  t.is(k.peer, identity(maker))
  t.not(taker.store.refusedUntil(identity(maker), Date.now()), null, 'the taker refuses the maker')
})

test.serial(
  'taker never locks: the maker refunds at its deadline and refuses the taker next time',
  async (t) => {
    const { maker, taker, makerBefore, take } = await deal('silent-taker', 'buy')
    const halted = haltEngineWhen(taker, taker, reached('negotiated'))
    const swap = await take()
    await halted
    await maker.engine.waitFor(swap.id, reached('locked'), SWAP_TIMEOUT_MS)

    await timeTo(swap.makerLeg.deadline + 1)
    const m = await maker.engine.waitFor(swap.id, ended, SWAP_TIMEOUT_MS)
    t.is(m.status, 'refunded')
    t.is(m.reason, 'counterparty-never-locked')
    await assertBalances(t, maker, makerBefore, [m], ASSETS)
    t.not(maker.store.refusedUntil(identity(taker), Date.now()), null, 'the maker refuses the taker')
    const refused = await t.throwsAsync(take(), { code: 'TAKE_REFUSED' })
    t.like(refused, { details: { reason: 'peer-refused' } })
  },
)

test.serial(
  'maker never claims: the taker refunds at its deadline, the maker restarted later refunds too',
  async (t) => {
    const { maker, taker, makerBefore, takerBefore, take } = await deal('absent-maker', 'sell')
    const halted = haltEngineWhen(maker, maker, reached('counter-locked'))
    const swap = await take()
    await halted
    await taker.engine.waitFor(swap.id, reached('locked'), SWAP_TIMEOUT_MS)

    await timeTo(swap.takerLeg.deadline + 1)
    const k = await taker.engine.waitFor(swap.id, ended, SWAP_TIMEOUT_MS)
    t.is(k.status, 'refunded')
    t.is(k.reason, 'counterparty-never-claimed')

    await timeTo(swap.makerLeg.deadline + 1)
    const restarted = await restart(maker, scene.traders)
    const m = await restarted.engine.waitFor(swap.id, ended, SWAP_TIMEOUT_MS)
    t.is(m.status, 'refunded')
    t.is(m.reason, 'counterparty-refunded-first')
    t.false(
      await onChain(scene.control, restarted.engine.secretFor(swap.id), m.startHeights),
      'no secret revealed',
    )
    await assertBalances(t, restarted, makerBefore, [m], ASSETS)
    await assertBalances(t, taker, takerBefore, [k], ASSETS)
  },
)

test.serial(
  'maker claims late, before the claim cutoff: the taker still claims, both complete',
  async (t) => {
    const { maker, taker, makerBefore, takerBefore, take } = await deal('late-maker', 'buy')
    const halted = haltEngineWhen(maker, maker, reached('counter-locked'))
    const swap = await take()
    await halted
    await taker.engine.waitFor(swap.id, reached('locked'), SWAP_TIMEOUT_MS)

    // Inside the last minimum window, 60 s before the maker may no longer reveal the secret.
    await timeTo(swap.takerLeg.deadline - TEST_TIMELOCKS.makerClaimMarginSeconds - 60)
    const restarted = await restart(maker, scene.traders)
    const [m, k] = await Promise.all([
      restarted.engine.waitFor(swap.id, ended, SWAP_TIMEOUT_MS),
      taker.engine.waitFor(swap.id, ended, SWAP_TIMEOUT_MS),
    ])
    t.is(m.status, 'completed')
    t.is(k.status, 'completed')
    const secret = restarted.engine.secretFor(swap.id)
    t.is(k.preimage, hex(secret))
    t.true(
      await onChain(scene.control, secret, m.startHeights),
      'the secret is on chain (the search finds it)',
    )
    await assertBalances(t, restarted, makerBefore, [m], ASSETS)
    await assertBalances(t, taker, takerBefore, [k], ASSETS)
  },
)

test.serial('taker vanishes as the maker claims; restarted later, it claims from the chain', async (t) => {
  const { maker, taker, makerBefore, takerBefore, take } = await deal('vanishing-taker', 'sell')
  const halted = haltEngineWhen(taker, maker, reached('claim-signed'))
  const swap = await take()
  await halted
  const m = await maker.engine.waitFor(swap.id, ended, SWAP_TIMEOUT_MS)
  t.is(m.status, 'completed')

  // Back after its own deadline: only the maker's longer lock is left to claim.
  await timeTo(swap.takerLeg.deadline + 1)
  const restarted = await restart(taker, scene.traders)
  const k = await restarted.engine.waitFor(swap.id, ended, SWAP_TIMEOUT_MS)
  t.is(k.status, 'completed')
  t.is(k.preimage, hex(maker.engine.secretFor(swap.id)))
  t.true(k.history.some((event) => event.note === 'secret learned from the chain'))
  await assertBalances(t, maker, makerBefore, [m], ASSETS)
  await assertBalances(t, restarted, takerBefore, [k], ASSETS)
})

/** Hostile maker cases: 'sell' tampers its BTC lock, 'buy' its ETH lock. */
const HOSTILE_MAKER: [Side, Tamper][] = [
  ['sell', 'amount'],
  ['sell', 'deadline'],
  ['buy', 'recipient'],
  ['buy', 'hashlock'],
]

for (const [side, how] of HOSTILE_MAKER) {
  const chain = side === 'sell' ? 'bitcoin' : 'evm'
  test.serial(`a maker's ${chain} lock with a wrong ${how}: the taker fails without locking`, async (t) => {
    const { maker, taker, takerBefore, take } = await deal(`hostile-maker-${how}`, side)
    const halted = haltEngineWhen(maker, maker, reached('negotiated'))
    const swap = await take()
    const made = await halted
    await lockByHand(maker, tamper(made.makerLeg, how), made.keyIndex)

    const expected = expectedReading(chain, how)
    t.like(await taker[chain].observe(swap.makerLeg, swap.startHeights[chain]), expected)
    // An invalid lock fails the swap at once; a lock of another script is no lock: time must run out.
    if (expected.kind === 'absent') await timeTo(lockCutoff(swap))
    const k = await taker.engine.waitFor(swap.id, ended, SWAP_TIMEOUT_MS)
    t.is(k.status, 'failed')
    t.is(k.reason, expected.kind === 'invalid' ? `bad-lock:${how}` : 'counterparty-never-locked')
    t.false(signedAnything(k), 'the taker signed no transaction')
    await assertBalances(t, taker, takerBefore, [k], ASSETS)
    t.not(taker.store.refusedUntil(identity(maker), Date.now()), null, 'the taker refuses the maker')
  })
}

/** Hostile taker cases: 'sell' tampers its ETH lock, 'buy' its BTC lock. */
const HOSTILE_TAKER: [Side, Tamper][] = [
  ['sell', 'amount'],
  ['sell', 'deadline'],
  ['buy', 'recipient'],
  ['buy', 'hashlock'],
]

for (const [side, how] of HOSTILE_TAKER) {
  const chain = side === 'sell' ? 'evm' : 'bitcoin'
  test.serial(
    `a taker's ${chain} lock with a wrong ${how}: the maker never claims and refunds`,
    async (t) => {
      const { maker, taker, makerBefore, take } = await deal(`hostile-taker-${how}`, side)
      const halted = haltEngineWhen(taker, taker, reached('negotiated'))
      const swap = await take()
      await halted
      const locked = await maker.engine.waitFor(swap.id, reached('locked'), SWAP_TIMEOUT_MS)
      await lockByHand(taker, tamper(swap.takerLeg, how), swap.keyIndex)

      const expected = expectedReading(chain, how)
      t.like(await maker[chain].observe(locked.takerLeg, locked.startHeights[chain]), expected)
      await timeTo(swap.makerLeg.deadline + 1)
      const m = await maker.engine.waitFor(swap.id, ended, SWAP_TIMEOUT_MS)
      t.is(m.status, 'refunded')
      t.is(m.reason, expected.kind === 'invalid' ? `bad-lock:${how}` : 'counterparty-never-locked')
      t.false(
        m.history.some((event) => event.note.startsWith('claim')),
        'the maker never signed a claim',
      )
      t.false(
        await onChain(scene.control, maker.engine.secretFor(swap.id), m.startHeights),
        'no secret revealed',
      )
      await assertBalances(t, maker, makerBefore, [m], ASSETS)
      t.not(maker.store.refusedUntil(identity(taker), Date.now()), null, 'the maker refuses the taker')
    },
  )
}
