import type { ExecutionContext } from 'ava'
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
} from './faults.js'
import { assertBalances, hex, openMarket, placeOrder } from './swaps.js'
import { holdings, type SwapScene, TEST_TIMELOCKS } from './traders.js'

/**
 * Two-trader swaps on the real regtest chains in which one side is hostile on chain (bends its lock, locks
 * late, never claims, claims at the last moment), scripted by stopping its engine and acting by hand. Each
 * scenario asserts how the honest side ends and resolves to what that side ended short of (exact balances:
 * 0n per asset when whole). Shared by test/swap/failures.test.ts and the fault suite (test/faults/), which
 * run them for different directions.
 */

export const BTC = 100_000_000n
export const ETH = 10n ** 18n
/** 20 ETH per BTC: 2e11 wei per satoshi. */
export const PRICE = { priceNum: 200_000_000_000n, priceDen: 1n }
/** Each swap: 0.1 BTC for 2 ETH; orders hold two swaps' worth so a second take can be tried. */
export const AMOUNT = BTC / 10n
export const ASSETS = ['BTC', 'ETH']
export const SWAP_TIMEOUT_MS = 60_000

export type Loss = Map<string, bigint>

export const ended = (record: SwapRecord) => FINAL_STATUSES.has(record.status)
export const reached = (status: SwapRecord['status']) => (record: SwapRecord) => record.status === status
export const signedAnything = (record: SwapRecord) =>
  record.history.some((event) => / signed/.test(event.note))
export const identity = (node: TradingNode) => hex(node.orderbook.publicKey)

/** The chain each side locks on: 'sell' has the maker lock BTC and the taker ETH, 'buy' the other way round. */
export const chainsOf = (side: Side) =>
  side === 'sell'
    ? ({ maker: 'bitcoin', taker: 'evm' } as const)
    : ({ maker: 'evm', taker: 'bitcoin' } as const)

/** The first moment neither party may lock any more: less than the minimum taker window remains. */
export const lockCutoff = (swap: SwapRecord) =>
  swap.takerLeg.deadline - TEST_TIMELOCKS.minTakerWindowSeconds + 1

/** The last moment the maker may still reveal the secret. */
export const claimCutoff = (swap: SwapRecord) =>
  swap.takerLeg.deadline - TEST_TIMELOCKS.makerClaimMarginSeconds

export interface Deal {
  maker: TradingNode
  taker: TradingNode
  makerBefore: Map<string, bigint>
  takerBefore: Map<string, bigint>
  /** The taker takes AMOUNT of the maker's order. */
  take(): Promise<SwapRecord>
}

/**
 * A maker and a taker on BTC/ETH with an order of the maker's in the taker's book, on `side` (see chainsOf).
 * Each gets ETH for gas.
 */
export async function deal(scene: SwapScene, name: string, side: Side): Promise<Deal> {
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

/**
 * Closes the traders of a finished scenario: every open trader polls both chains, so a file of many
 * scenarios would otherwise slow down with each one. The scene closes them again at the end (safe twice).
 */
async function retire(...traders: TradingNode[]): Promise<void> {
  await Promise.all(traders.map((trader) => trader.close()))
}

/** Makes the chains' clocks reach `unixSeconds` (deadlines pass this way). */
export const timeTo = (scene: SwapScene, unixSeconds: number) => scene.control.advanceTimeTo(unixSeconds)

/**
 * The maker locks its leg bent `how` (by hand, its engine stopped once the swap is stored): the taker fails
 * without signing anything and refuses the maker afterwards. Resolves to the taker's shortfall.
 */
export async function makerBendsLock(
  t: ExecutionContext,
  scene: SwapScene,
  side: Side,
  how: Tamper,
): Promise<Loss> {
  const chain = chainsOf(side).maker
  const { maker, taker, takerBefore, take } = await deal(scene, `hostile-maker-${side}-${how}`, side)
  const halted = haltEngineWhen(maker, maker, reached('negotiated'))
  const swap = await take()
  const made = await halted
  await lockByHand(maker, tamper(made.makerLeg, how), made.keyIndex)

  const expected = expectedReading(chain, how)
  t.like(await taker[chain].observe(swap.makerLeg, swap.startHeights[chain]), expected)
  // An invalid lock fails the swap at once; a lock of another script is no lock: time must run out.
  if (expected.kind === 'absent') await timeTo(scene, lockCutoff(swap))
  const k = await taker.engine.waitFor(swap.id, ended, SWAP_TIMEOUT_MS)
  t.is(k.status, 'failed')
  t.is(k.reason, expected.kind === 'invalid' ? `bad-lock:${how}` : 'counterparty-never-locked')
  t.false(signedAnything(k), 'the taker signed no transaction')
  t.not(taker.store.refusedUntil(identity(maker), Date.now()), null, 'the taker refuses the maker')
  const lost = await assertBalances(t, taker, takerBefore, [k], ASSETS)
  await retire(maker, taker)
  return lost
}

/**
 * The taker locks its leg bent `how` (by hand) after the maker's lock: the maker never claims, reveals no
 * secret, refunds at its deadline and refuses the taker afterwards. Resolves to the maker's shortfall.
 */
export async function takerBendsLock(
  t: ExecutionContext,
  scene: SwapScene,
  side: Side,
  how: Tamper,
): Promise<Loss> {
  const chain = chainsOf(side).taker
  const { maker, taker, makerBefore, take } = await deal(scene, `hostile-taker-${side}-${how}`, side)
  const halted = haltEngineWhen(taker, taker, reached('negotiated'))
  const swap = await take()
  await halted
  const locked = await maker.engine.waitFor(swap.id, reached('locked'), SWAP_TIMEOUT_MS)
  await lockByHand(taker, tamper(swap.takerLeg, how), swap.keyIndex)

  const expected = expectedReading(chain, how)
  t.like(await maker[chain].observe(locked.takerLeg, locked.startHeights[chain]), expected)
  await timeTo(scene, swap.makerLeg.deadline + 1)
  const m = await maker.engine.waitFor(swap.id, ended, SWAP_TIMEOUT_MS)
  t.is(m.status, 'refunded')
  t.is(m.reason, expected.kind === 'invalid' ? `bad-lock:${how}` : 'counterparty-never-locked')
  t.false(
    m.history.some((event) => event.note.startsWith('claim')),
    'the maker never signed a claim',
  )
  t.false(await onChain(scene.control, maker.engine.secretFor(swap.id), m.startHeights), 'no secret revealed')
  t.not(maker.store.refusedUntil(identity(taker), Date.now()), null, 'the maker refuses the taker')
  const lost = await assertBalances(t, maker, makerBefore, [m], ASSETS)
  await retire(maker, taker)
  return lost
}

/**
 * The maker stops once the taker's lock is audited and never claims: the taker refunds at its deadline; the
 * maker, restarted past its own deadline, refunds too. Both whole; resolves to the taker's shortfall.
 */
export async function makerNeverClaims(t: ExecutionContext, scene: SwapScene, side: Side): Promise<Loss> {
  const { maker, taker, makerBefore, takerBefore, take } = await deal(scene, `absent-maker-${side}`, side)
  const halted = haltEngineWhen(maker, maker, reached('counter-locked'))
  const swap = await take()
  await halted
  await taker.engine.waitFor(swap.id, reached('locked'), SWAP_TIMEOUT_MS)

  await timeTo(scene, swap.takerLeg.deadline + 1)
  const k = await taker.engine.waitFor(swap.id, ended, SWAP_TIMEOUT_MS)
  t.is(k.status, 'refunded')
  t.is(k.reason, 'counterparty-never-claimed')

  await timeTo(scene, swap.makerLeg.deadline + 1)
  const restarted = await restart(maker, scene.traders)
  const m = await restarted.engine.waitFor(swap.id, ended, SWAP_TIMEOUT_MS)
  t.is(m.status, 'refunded')
  t.is(m.reason, 'counterparty-refunded-first')
  t.false(
    await onChain(scene.control, restarted.engine.secretFor(swap.id), m.startHeights),
    'no secret revealed',
  )
  await assertBalances(t, restarted, makerBefore, [m], ASSETS)
  const lost = await assertBalances(t, taker, takerBefore, [k], ASSETS)
  await retire(restarted, taker)
  return lost
}

/**
 * The maker stops once the taker's lock is audited and comes back `secondsBeforeCutoff` before its claim
 * cutoff: it claims, revealing the secret, and the taker still claims the maker's lock from the chain. Both
 * complete; resolves to the taker's shortfall.
 */
export async function makerClaimsLate(
  t: ExecutionContext,
  scene: SwapScene,
  side: Side,
  secondsBeforeCutoff: number,
): Promise<Loss> {
  const { maker, taker, makerBefore, takerBefore, take } = await deal(
    scene,
    `late-maker-${side}-${secondsBeforeCutoff}`,
    side,
  )
  const halted = haltEngineWhen(maker, maker, reached('counter-locked'))
  const swap = await take()
  await halted
  await taker.engine.waitFor(swap.id, reached('locked'), SWAP_TIMEOUT_MS)

  await timeTo(scene, claimCutoff(swap) - secondsBeforeCutoff)
  const restarted = await restart(maker, scene.traders)
  const [m, k] = await Promise.all([
    restarted.engine.waitFor(swap.id, ended, SWAP_TIMEOUT_MS),
    taker.engine.waitFor(swap.id, ended, SWAP_TIMEOUT_MS),
  ])
  t.is(m.status, 'completed')
  t.is(k.status, 'completed')
  const secret = restarted.engine.secretFor(swap.id)
  t.is(k.preimage, hex(secret))
  t.true(await onChain(scene.control, secret, m.startHeights), 'the secret is on chain (the search finds it)')
  await assertBalances(t, restarted, makerBefore, [m], ASSETS)
  const lost = await assertBalances(t, taker, takerBefore, [k], ASSETS)
  await retire(restarted, taker)
  return lost
}

/**
 * The taker locks (by hand, the right terms) only `secondsBeforeDeadline` before its own deadline, after the
 * lock cutoff. While the maker may still reveal the secret (more than its claim margin left) it claims and
 * completes; inside the margin it reveals nothing and refunds at its deadline. Resolves to the maker's
 * shortfall.
 */
export async function takerLocksLate(
  t: ExecutionContext,
  scene: SwapScene,
  side: Side,
  secondsBeforeDeadline: number,
): Promise<Loss> {
  const { maker, taker, makerBefore, take } = await deal(
    scene,
    `late-taker-${side}-${secondsBeforeDeadline}`,
    side,
  )
  const halted = haltEngineWhen(taker, taker, reached('negotiated'))
  const swap = await take()
  await halted
  await maker.engine.waitFor(swap.id, reached('locked'), SWAP_TIMEOUT_MS)

  const lockAt = swap.takerLeg.deadline - secondsBeforeDeadline
  t.true(lockAt >= lockCutoff(swap), 'the taker locks after the lock cutoff')
  await timeTo(scene, lockAt)
  await lockByHand(taker, swap.takerLeg, swap.keyIndex)
  const mayReveal = lockAt < claimCutoff(swap)
  if (!mayReveal) {
    const audited = await maker.engine.waitFor(swap.id, reached('counter-locked'), SWAP_TIMEOUT_MS)
    t.false(
      audited.history.some((event) => event.note.startsWith('claim')),
      'no claim before the deadline',
    )
    await timeTo(scene, swap.makerLeg.deadline + 1)
  }
  const m = await maker.engine.waitFor(swap.id, ended, SWAP_TIMEOUT_MS)
  const secretOut = await onChain(scene.control, maker.engine.secretFor(swap.id), m.startHeights)
  if (mayReveal) {
    t.is(m.status, 'completed')
    t.true(secretOut, 'the secret is on chain')
  } else {
    t.is(m.status, 'refunded')
    t.is(m.reason, 'too-late-to-claim')
    t.false(secretOut, 'no secret revealed')
  }
  const lost = await assertBalances(t, maker, makerBefore, [m], ASSETS)
  await retire(maker, taker)
  return lost
}
