import test from 'ava'
import {
  checkTimelockPolicy,
  type Deadlines,
  deadlineProblem,
  makerMayClaim,
  mayLock,
  offerDeadlines,
  REGTEST_TIMELOCKS,
} from '../../src/swap/policy.js'

const POLICY = REGTEST_TIMELOCKS // taker 600 s, maker 1200 s, min window 300 s, claim margin 120 s, tolerance 60 s
const MAKER_NOW = 1_900_000_000
const offered = offerDeadlines(POLICY, MAKER_NOW)
const shift = (d: Deadlines, taker: number, maker: number): Deadlines => ({
  takerDeadline: d.takerDeadline + taker,
  makerDeadline: d.makerDeadline + maker,
})

test('a maker offers its lock twice as long as the taker lock, both from its now', (t) => {
  t.deepEqual(offered, { takerDeadline: MAKER_NOW + 600, makerDeadline: MAKER_NOW + 1200 })
})

// The taker checks the maker's offer at its own now: `skew` seconds after the maker's (negative: before).
const CASES: { name: string; deadlines: Deadlines; skew: number; problem: string | null }[] = [
  { name: 'the honest offer, same clock', deadlines: offered, skew: 0, problem: null },
  { name: 'the honest offer, taker 1 s behind', deadlines: offered, skew: -1, problem: null },
  { name: 'the honest offer, taker a tolerance behind', deadlines: offered, skew: -60, problem: null },
  { name: 'the honest offer, taker a tolerance ahead', deadlines: offered, skew: 60, problem: null },
  {
    name: 'taker deadline too soon',
    deadlines: shift(offered, -(600 - 300 - 60) - 1, 0),
    skew: 0,
    problem: 'taker-deadline-too-soon',
  },
  {
    name: 'taker deadline just soon enough',
    deadlines: shift(offered, -(600 - 300 - 60), 0),
    skew: 0,
    problem: null,
  },
  {
    name: 'taker deadline too late',
    deadlines: shift(offered, 61, 122),
    skew: 0,
    problem: 'taker-deadline-too-late',
  },
  {
    name: 'maker deadline short by more than the tolerance',
    deadlines: shift(offered, 0, -61),
    skew: 0,
    problem: 'maker-deadline-too-short',
  },
  {
    name: 'maker deadline short by the tolerance',
    deadlines: shift(offered, 0, -60),
    skew: 0,
    problem: null,
  },
  {
    name: 'the honest offer, taker more than a tolerance behind',
    deadlines: offered,
    skew: -61,
    problem: 'taker-deadline-too-late',
  },
  {
    name: 'maker deadline too late',
    deadlines: shift(offered, 0, 61),
    skew: 0,
    problem: 'maker-deadline-too-late',
  },
]

for (const { name, deadlines, skew, problem } of CASES) {
  test(`deadlineProblem: ${name}`, (t) => {
    t.is(deadlineProblem(POLICY, deadlines, MAKER_NOW + skew), problem)
  })
}

test('mayLock and makerMayClaim stop at their margins before the taker deadline', (t) => {
  const { takerDeadline } = offered
  t.true(mayLock(POLICY, takerDeadline, takerDeadline - 300))
  t.false(mayLock(POLICY, takerDeadline, takerDeadline - 299))
  t.true(makerMayClaim(POLICY, takerDeadline, takerDeadline - 120))
  t.false(makerMayClaim(POLICY, takerDeadline, takerDeadline - 119))
})

test('an incoherent policy is refused, naming the field', (t) => {
  for (const [field, policy] of [
    ['makerLockSeconds', { ...POLICY, makerLockSeconds: 1199 }],
    ['minTakerWindowSeconds', { ...POLICY, minTakerWindowSeconds: 600 }],
    ['makerClaimMarginSeconds', { ...POLICY, makerClaimMarginSeconds: 300 }],
  ] as const) {
    t.throws(() => checkTimelockPolicy(policy), {
      code: 'INVALID_ARGUMENT',
      message: new RegExp(field),
    } as never)
  }
})
