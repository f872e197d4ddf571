import test from 'ava'
import type { Side } from '../../src/orderbook/types.js'
import { haltEngineWhen, restart, type Tamper } from '../helpers/faults.js'
import {
  ASSETS,
  chainsOf,
  deal,
  ended,
  identity,
  lockCutoff,
  makerBendsLock,
  makerClaimsLate,
  makerNeverClaims,
  reached,
  SWAP_TIMEOUT_MS,
  signedAnything,
  takerBendsLock,
  timeTo,
} from '../helpers/hostile-swaps.js'
import { assertBalances, hex } from '../helpers/swaps.js'
import { SwapScene } from '../helpers/traders.js'

/**
 * A counterparty that stops, comes back late or locks the wrong thing, on the real regtest chains and a
 * local DHT: the honest party always ends whole (exact balances: what it had, minus the fees of what it
 * sent), never reveals the secret for a wrong lock, and refuses the offender afterwards. The fault suite
 * (test/faults/adversary-swap.test.ts) runs the shared scenarios for the other directions.
 */

const scene = new SwapScene()

test.before(async () => {
  await scene.ready()
})

test.after.always(async () => {
  await scene.close()
})

test.serial('maker never locks: the taker fails having sent nothing, and refuses the maker', async (t) => {
  const { maker, taker, takerBefore, take } = await deal(scene, 'silent-maker', 'sell')
  const halted = haltEngineWhen(maker, maker, reached('negotiated'))
  const swap = await take()
  await halted

  t.is(taker.engine.get(swap.id)?.status, 'negotiated', 'the taker waits while there is time')
  await timeTo(scene, lockCutoff(swap))
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
    const { maker, taker, makerBefore, take } = await deal(scene, 'silent-taker', 'buy')
    const halted = haltEngineWhen(taker, taker, reached('negotiated'))
    const swap = await take()
    await halted
    await maker.engine.waitFor(swap.id, reached('locked'), SWAP_TIMEOUT_MS)

    await timeTo(scene, swap.makerLeg.deadline + 1)
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
    await makerNeverClaims(t, scene, 'sell')
  },
)

test.serial(
  'maker claims late, before the claim cutoff: the taker still claims, both complete',
  async (t) => {
    // Inside the last minimum window, 60 s before the maker may no longer reveal the secret.
    await makerClaimsLate(t, scene, 'buy', 60)
  },
)

test.serial('taker vanishes as the maker claims; restarted later, it claims from the chain', async (t) => {
  const { maker, taker, makerBefore, takerBefore, take } = await deal(scene, 'vanishing-taker', 'sell')
  const halted = haltEngineWhen(taker, maker, reached('claim-signed'))
  const swap = await take()
  await halted
  const m = await maker.engine.waitFor(swap.id, ended, SWAP_TIMEOUT_MS)
  t.is(m.status, 'completed')

  // Back after its own deadline: only the maker's longer lock is left to claim.
  await timeTo(scene, swap.takerLeg.deadline + 1)
  const restarted = await restart(taker, scene.traders)
  const k = await restarted.engine.waitFor(swap.id, ended, SWAP_TIMEOUT_MS)
  t.is(k.status, 'completed')
  t.is(k.preimage, hex(maker.engine.secretFor(swap.id)))
  t.true(k.history.some((event) => event.note === 'secret learned from the chain'))
  await assertBalances(t, maker, makerBefore, [m], ASSETS)
  await assertBalances(t, restarted, takerBefore, [k], ASSETS)
})

/** Hostile maker cases: 'sell' bends its BTC lock, 'buy' its ETH lock. */
const HOSTILE_MAKER: [Side, Tamper][] = [
  ['sell', 'amount'],
  ['sell', 'deadline'],
  ['buy', 'recipient'],
  ['buy', 'hashlock'],
]

for (const [side, how] of HOSTILE_MAKER) {
  test.serial(
    `a maker's ${chainsOf(side).maker} lock with a wrong ${how}: the taker fails without locking`,
    async (t) => {
      await makerBendsLock(t, scene, side, how)
    },
  )
}

/** Hostile taker cases: 'sell' bends its ETH lock, 'buy' its BTC lock. */
const HOSTILE_TAKER: [Side, Tamper][] = [
  ['sell', 'amount'],
  ['sell', 'deadline'],
  ['buy', 'recipient'],
  ['buy', 'hashlock'],
]

for (const [side, how] of HOSTILE_TAKER) {
  test.serial(
    `a taker's ${chainsOf(side).taker} lock with a wrong ${how}: the maker never claims and refunds`,
    async (t) => {
      await takerBendsLock(t, scene, side, how)
    },
  )
}
