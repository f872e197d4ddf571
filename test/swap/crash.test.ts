import test from 'ava'
import { COMPLETING_POINTS, CrashLab, SIDES } from '../helpers/crash-lab.js'
import { SwapScene } from '../helpers/traders.js'

/**
 * Write-ahead (DESIGN.md invariant 5): a trader SIGKILLed right after any durable write of its swap, or right
 * after broadcasting what it wrote, resumes from its data dir and ends the swap with every satoshi and wei
 * accounted for (test/helpers/crash-lab.ts). Here each crash point once, the maker's side alternating; the
 * fault suite (test/faults/crash.test.ts) runs every point on both sides.
 */

const scene = new SwapScene()
const lab = new CrashLab(scene, 8)

test.before(() => scene.ready())
test.after.always(async () => {
  await lab.close()
  await scene.close()
})

for (const [i, point] of COMPLETING_POINTS.entries()) {
  const scenario = { ...point, side: SIDES[i % 2] ?? 'sell' }
  const { role, status, side } = scenario
  test(`${role} killed at ${status} (${point.point}), ${side} order: both complete, balances exact`, async (t) => {
    await lab.completing(t, scenario)
  })
}

test('maker killed at negotiated (stored): the terms never went out; it locks, refunds at its deadline, whole', async (t) => {
  await lab.makerNegotiated(t, 'sell')
})

test('maker killed at refund-signed (stored) after its taker never locked: ends refunded, whole', async (t) => {
  await lab.makerRefund(t, 'stored', 'sell')
})

test('taker killed at refund-signed (broadcast) after its maker never claimed: both end refunded, whole', async (t) => {
  await lab.takerRefund(t, 'broadcast', 'buy')
})
