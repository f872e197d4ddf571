import test from 'ava'
import type { FaultCaseLine } from './report.js'
import { parseCaseLines, summarize } from './summary.js'

const line = (
  kind: FaultCaseLine['kind'],
  ok: boolean,
  extra: Partial<FaultCaseLine> = {},
): FaultCaseLine => ({
  kind,
  name: `${kind} case`,
  ok,
  fundsLost: {},
  ...extra,
})

test('the report counts the cases that ran, by kind, and what held', (t) => {
  const report = summarize(
    [
      line('crash', true),
      line('crash', true),
      line('crash', false),
      line('chain', true),
      line('adversary', true),
      line('adversary', true),
      line('fuzz', true, { inputs: 60_000, failures: 0 }),
      line('fuzz', true, { inputs: 40_000, failures: 0 }),
    ],
    1,
  )
  t.like(report, {
    crashPoints: 3,
    crashRecovered: 2,
    chainFaults: 1,
    chainFaultsSurvived: 1,
    adversaryCases: 2,
    adversaryDefended: 2,
    fuzzInputs: 100_000,
    fuzzFailures: 0,
    fundsLost: { BTC: '0', ETH: '0' },
    failedCases: ['crash: crash case'],
    avaExitCode: 1,
    ok: false,
  })
})

const OK_CASES = [line('crash', true), line('fuzz', true, { inputs: 10, failures: 0 })]
const VERDICTS: [string, FaultCaseLine[], number, boolean][] = [
  ['everything held', OK_CASES, 0, true],
  ['ava failed', OK_CASES, 1, false],
  ['nothing ran', [], 0, false],
  ['a case did not hold', [...OK_CASES, line('chain', false)], 0, false],
  ['fuzz failures', [line('fuzz', true, { inputs: 10, failures: 2 })], 0, false],
  ['a fuzz case that threw counts as one failure', [line('fuzz', false)], 0, false],
  ['funds lost', [line('adversary', true, { fundsLost: { ETH: '1' } })], 0, false],
]

for (const [what, lines, code, ok] of VERDICTS) {
  test(`ok is ${ok} when ${what}`, (t) => {
    t.is(summarize(lines, code).ok, ok)
  })
}

test('losses add up per asset, and other assets appear next to BTC and ETH', (t) => {
  const token = 'ERC20:0x5fbdb2315678afecb367f032d93f642f64180aa3'
  const report = summarize(
    [
      line('crash', true, { fundsLost: { BTC: '306', ETH: '0' } }),
      line('adversary', true, { fundsLost: { BTC: '10', [token]: '5' } }),
    ],
    0,
  )
  t.deepEqual(report.fundsLost, { BTC: '316', ETH: '0', [token]: '5' })
})

test('parseCaseLines reads one JSON object per line and refuses a malformed one', (t) => {
  const text = `${JSON.stringify(line('crash', true))}\n${JSON.stringify(line('fuzz', true, { inputs: 3 }))}\n`
  t.is(parseCaseLines(text).length, 2)
  t.deepEqual(parseCaseLines(''), [])
  t.throws(() => parseCaseLines('{"kind":"crash"}\n'))
  t.throws(() => parseCaseLines(JSON.stringify({ ...line('crash', true), fundsLost: { BTC: '-1' } })))
})
