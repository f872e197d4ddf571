import test from 'ava'
import type { Side } from '../../src/orderbook/types.js'
import type { Tamper } from '../helpers/faults.js'
import {
  chainsOf,
  makerBendsLock,
  makerClaimsLate,
  makerNeverClaims,
  takerBendsLock,
  takerLocksLate,
} from '../helpers/hostile-swaps.js'
import { SwapScene, TEST_TIMELOCKS } from '../helpers/traders.js'
import { faultCase } from './report.js'

/**
 * Issue 6, adversary (on chain): a counterparty that bends its lock, locks late, never claims or claims at
 * the last moment, on the real regtest chains with real traders. Each case reports the honest party's
 * shortfall (exact balances against the terms and fees: zero when whole). The bends run here for the
 * directions test/swap/failures.test.ts does not, so between the two files every bend is tried on both
 * chains by both roles.
 */

const scene = new SwapScene()
const assetOf = (chain: 'bitcoin' | 'evm') => (chain === 'evm' ? 'ETH' : 'BTC')

test.before(async () => {
  await scene.ready()
})

test.after.always(async () => {
  await scene.close()
})

/** Hostile makers: 'buy' bends its ETH lock, 'sell' its BTC lock (failures.test.ts: the other pairs). */
const HOSTILE_MAKER: [Side, Tamper][] = [
  ['buy', 'amount'],
  ['buy', 'deadline'],
  ['sell', 'recipient'],
  ['sell', 'hashlock'],
]

for (const [side, how] of HOSTILE_MAKER) {
  test.serial(`hostile maker: ${chainsOf(side).maker} lock with a wrong ${how}; the taker never locks`, (t) =>
    faultCase(t, 'adversary', async () => ({ fundsLost: await makerBendsLock(t, scene, side, how) })),
  )
}

/** Hostile takers: 'buy' bends its BTC lock, 'sell' its ETH lock (failures.test.ts: the other pairs). */
const HOSTILE_TAKER: [Side, Tamper][] = [
  ['buy', 'amount'],
  ['buy', 'deadline'],
  ['sell', 'recipient'],
  ['sell', 'hashlock'],
]

for (const [side, how] of HOSTILE_TAKER) {
  test.serial(
    `hostile taker: ${chainsOf(side).taker} lock with a wrong ${how}; the maker never claims, refunds`,
    (t) => faultCase(t, 'adversary', async () => ({ fundsLost: await takerBendsLock(t, scene, side, how) })),
  )
}

/** Between the lock cutoff and the claim cutoff: late, but the maker may still safely reveal. */
const LATE_BUT_CLAIMABLE = TEST_TIMELOCKS.makerClaimMarginSeconds + 60
/** Inside the maker's claim margin: revealing now could let the taker refund and claim both. */
const TOO_LATE_TO_CLAIM = TEST_TIMELOCKS.makerClaimMarginSeconds - 60

/** Both windows, each with the taker's lock on either chain. */
const LATE_LOCKS: [Side, number, string][] = [
  ['sell', LATE_BUT_CLAIMABLE, 'after the lock cutoff: the maker still claims in time'],
  ['buy', LATE_BUT_CLAIMABLE, 'after the lock cutoff: the maker still claims in time'],
  ['sell', TOO_LATE_TO_CLAIM, 'inside the claim margin: the maker reveals nothing, refunds'],
  ['buy', TOO_LATE_TO_CLAIM, 'inside the claim margin: the maker reveals nothing, refunds'],
]

for (const [side, secondsBeforeDeadline, outcome] of LATE_LOCKS) {
  test.serial(`hostile taker locks ${assetOf(chainsOf(side).taker)} ${outcome}`, (t) =>
    faultCase(t, 'adversary', async () => ({
      fundsLost: await takerLocksLate(t, scene, side, secondsBeforeDeadline),
    })),
  )
}

test.serial("hostile maker never claims the taker's BTC lock: the taker refunds at its deadline", (t) =>
  faultCase(t, 'adversary', async () => ({ fundsLost: await makerNeverClaims(t, scene, 'buy') })),
)

/** How close to its claim cutoff the hostile maker claims (the chains' clocks jump there). */
const LAST_MOMENT_SECONDS = 15

for (const side of ['sell', 'buy'] as const) {
  test.serial(
    `hostile maker claims the ${assetOf(chainsOf(side).taker)} lock ${LAST_MOMENT_SECONDS} s before its claim cutoff: the taker still claims`,
    (t) =>
      faultCase(t, 'adversary', async () => ({
        fundsLost: await makerClaimsLate(t, scene, side, LAST_MOMENT_SECONDS),
      })),
  )
}
