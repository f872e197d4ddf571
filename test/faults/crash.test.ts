import test from 'ava'
import { COMPLETING_POINTS, CrashLab, REFUND_POINTS, SIDES } from '../helpers/crash-lab.js'
import { SwapScene } from '../helpers/traders.js'
import { faultCase } from './report.js'

/**
 * The crash matrix: for both roles, both directions (the maker selling or buying BTC) and every point where
 * the engine persists a status or broadcasts what it stored, the trader is SIGKILLed there and restarted;
 * the swap ends completed (or, on the refund path, refunded on both sides) with both traders' balances
 * exactly what the terms and fees say (test/helpers/crash-lab.ts).
 */

const scene = new SwapScene()
const lab = new CrashLab(scene, 4)

test.before(() => scene.ready())
test.after.always(async () => {
  await lab.close()
  await scene.close()
})

for (const side of SIDES) {
  for (const point of COMPLETING_POINTS) {
    const { role, status } = point
    test(`${role} killed at ${status} (${point.point}), ${side} order: both complete`, async (t) => {
      await faultCase(t, 'crash', async () => ({ fundsLost: await lab.completing(t, { ...point, side }) }))
    })
  }
  for (const { role, point } of REFUND_POINTS) {
    test(`${role} killed at refund-signed (${point}), ${side} order: both end refunded`, async (t) => {
      await faultCase(t, 'crash', async () => ({
        fundsLost:
          role === 'maker' ? await lab.makerRefund(t, point, side) : await lab.takerRefund(t, point, side),
      }))
    })
  }
  test(`maker killed at negotiated (stored), ${side} order: it locks and refunds, the taker holds what it held`, async (t) => {
    await faultCase(t, 'crash', async () => ({ fundsLost: await lab.makerNegotiated(t, side) }))
  })
}
