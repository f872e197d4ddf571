import test from 'ava'
import { isSwarmswapError } from '../src/errors.js'
import { formatAmount, parseAmount } from '../src/money.js'

const valid: [text: string, decimals: number, units: bigint, formatted: string][] = [
  ['0', 8, 0n, '0'],
  ['1', 8, 100_000_000n, '1'],
  ['0.00000001', 8, 1n, '0.00000001'],
  ['21000000', 8, 2_100_000_000_000_000n, '21000000'],
  ['0.5', 8, 50_000_000n, '0.5'],
  ['12.34500000', 8, 1_234_500_000n, '12.345'],
  ['1.000000000000000001', 18, 1_000_000_000_000_000_001n, '1.000000000000000001'],
  [
    '115792089237316195423570985008687907853269984665640564039457',
    18,
    115792089237316195423570985008687907853269984665640564039457n * 10n ** 18n,
    '115792089237316195423570985008687907853269984665640564039457',
  ],
  ['7', 0, 7n, '7'],
]

for (const [text, decimals, units, formatted] of valid) {
  test(`parseAmount(${text}, ${decimals}) and back`, (t) => {
    t.is(parseAmount(text, decimals), units)
    t.is(formatAmount(units, decimals), formatted)
  })
}

const invalid: [text: string, decimals: number][] = [
  ['', 8],
  ['.5', 8],
  ['1.', 8],
  ['-1', 8],
  ['+1', 8],
  ['1e8', 8],
  ['0.000000001', 8],
  [' 1', 8],
  ['1,5', 8],
  ['0x10', 8],
  ['NaN', 8],
  ['Infinity', 18],
  ['1.5', 0],
]

for (const [text, decimals] of invalid) {
  test(`parseAmount rejects ${JSON.stringify(text)} with ${decimals} decimals`, (t) => {
    const error = t.throws(() => parseAmount(text, decimals))
    t.true(isSwarmswapError(error, 'INVALID_ARGUMENT'))
  })
}

test('formatAmount keeps the sign of negative amounts (balance changes)', (t) => {
  t.is(formatAmount(-150_000_000n, 8), '-1.5')
})
