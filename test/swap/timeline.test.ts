import test from 'ava'
import { REGTEST_TIMELOCKS } from '../../src/swap/policy.js'
import { swapTimeline } from '../../src/swap/timeline.js'

test('deadlines in time order, each the policy says, with readable text', (t) => {
  const T = 1_800_000_000
  const leg = (asset: string, deadline: number) => ({ asset, deadline }) as never
  const timeline = swapTimeline(
    { makerLeg: leg('BTC', T + 1200), takerLeg: leg('ETH', T + 600) },
    REGTEST_TIMELOCKS,
  )
  t.deepEqual(
    timeline.map((d) => [d.who, d.action, d.when, d.at - T]),
    [
      ['maker', 'lock', 'by', 300],
      ['taker', 'lock', 'by', 300],
      ['maker', 'claim', 'by', 480],
      ['taker', 'refund', 'from', 600],
      ['taker', 'claim', 'by', 1200],
      ['maker', 'refund', 'from', 1200],
    ],
  )
  const ats = timeline.map((d) => d.at)
  t.deepEqual(
    ats,
    [...ats].sort((a, b) => a - b),
  )
  t.is(timeline[4]?.text, 'taker must claim BTC by 2027-01-15T08:20:00.000Z')
})
