import test from 'ava'
import { isSwarmswapError } from '../../src/errors.js'
import {
  BAN_SCORE,
  BanList,
  DEFAULT_PEER_LIMITS,
  MisbehaviourScore,
  OFFENCE_SCORES,
  resolvePeerLimits,
  TokenBucket,
} from '../../src/p2p/limits.js'

test('a token bucket allows its burst, refuses beyond it, and refills at its rate', (t) => {
  const bucket = new TokenBucket(10, 20, 0)
  for (let i = 0; i < 20; i++) t.true(bucket.take(1, 0), `token ${i}`)
  t.false(bucket.take(1, 0))
  t.false(bucket.take(1, 99), 'under a token refilled after 99 ms at 10/s')
  t.true(bucket.take(1, 100))
  t.true(bucket.take(5, 600))
  t.false(bucket.take(1, 600))
  t.true(bucket.take(20, 100_000), 'refill caps at the capacity')
  t.false(bucket.take(1, 100_000))
})

test('a refused take costs nothing', (t) => {
  const bucket = new TokenBucket(1, 10, 0)
  t.false(bucket.take(11, 0))
  t.true(bucket.take(10, 0))
})

const scoreCases: { offences: (keyof typeof OFFENCE_SCORES)[]; gapMs: number; banned: boolean }[] = [
  { offences: ['bad-signature'], gapMs: 0, banned: true },
  { offences: ['malformed'], gapMs: 0, banned: false },
  { offences: ['malformed', 'unknown-type'], gapMs: 0, banned: true },
  { offences: ['oversized', 'foreign-maker'], gapMs: 0, banned: true },
  { offences: Array(9).fill('rate-limited'), gapMs: 0, banned: false },
  { offences: Array(10).fill('rate-limited'), gapMs: 0, banned: true },
  { offences: ['malformed', 'malformed'], gapMs: 15_000, banned: true },
  // 60 points decay in 60 s: two malformed messages a minute apart are forgiven.
  { offences: ['malformed', 'malformed'], gapMs: 60_000, banned: false },
]
for (const { offences, gapMs, banned } of scoreCases) {
  const label = offences.length > 3 ? `${offences.length} x ${offences[0]}` : offences.join(', ')
  test(`score: ${label} ${gapMs} ms apart -> ${banned ? 'ban' : 'no ban'}`, (t) => {
    const score = new MisbehaviourScore(0)
    const results = offences.map((offence, i) => score.add(offence, i * gapMs))
    t.is(results.at(-1), banned)
    t.false(results.slice(0, -1).some(Boolean), 'no ban before the last offence')
  })
}

test('the ban threshold is what a forged signature scores', (t) => {
  t.is(OFFENCE_SCORES['bad-signature'], BAN_SCORE)
})

test('a ban lasts its duration, then the identity is free', (t) => {
  const bans = new BanList()
  bans.ban('aa', 'bad-signature', 1000, 5000)
  t.true(bans.isBanned('aa', 5999))
  t.false(bans.isBanned('bb', 5999))
  t.deepEqual(bans.list(5000), [{ publicKey: 'aa', until: 6000, reason: 'bad-signature' }])
  t.false(bans.isBanned('aa', 6000))
  t.deepEqual(bans.list(6000), [])
})

test('limits merge over the defaults and refuse nonsense', (t) => {
  t.deepEqual(resolvePeerLimits(), { ...DEFAULT_PEER_LIMITS })
  t.is(resolvePeerLimits({ banMs: 500 }).banMs, 500)
  for (const bad of [{ banMs: 0 }, { banMs: -1 }, { banMs: Number.NaN }, { banMs: '5' }, { nope: 1 }]) {
    const error = t.throws(() => resolvePeerLimits(bad as never))
    t.true(isSwarmswapError(error, 'INVALID_ARGUMENT'), JSON.stringify(bad))
  }
})
