import { readFileSync } from 'node:fs'
import test from 'ava'
import { alignDecimals, assetLabel, fields, formatDuration, formatWhen, table } from '../../src/cli/format.js'
import { balancesView, swapEventLine } from '../../src/cli/views.js'

interface Fixtures {
  alignDecimals: { input: string[]; output: string[] }[]
  formatDuration: { seconds: number; output: string }[]
  formatWhen: { at: number; now: number; output: string }[]
  assetLabel: { asset: string; output: string }[]
}

const fixtures = JSON.parse(
  readFileSync(new URL('../fixtures/cli/format.json', import.meta.url), 'utf8'),
) as Fixtures

for (const { input, output } of fixtures.alignDecimals) {
  test(`alignDecimals ${JSON.stringify(input)}`, (t) => {
    t.deepEqual(alignDecimals(input), output)
  })
}
for (const { seconds, output } of fixtures.formatDuration) {
  test(`formatDuration ${seconds}`, (t) => t.is(formatDuration(seconds), output))
}
for (const { at, now, output } of fixtures.formatWhen) {
  test(`formatWhen ${at} at ${now}`, (t) => t.is(formatWhen(at, now), output))
}
for (const { asset, output } of fixtures.assetLabel) {
  test(`assetLabel ${asset}`, (t) => t.is(assetLabel(asset), output))
}

test('table pads columns, aligns decimal columns on the point and trims line ends', (t) => {
  const text = table(
    ['ASSET', 'AMOUNT', 'N'],
    [
      ['BTC', '1.5', '3'],
      ['ETH', '20', '12'],
    ],
    ['left', 'decimal', 'right'],
  )
  t.is(text, ['ASSET  AMOUNT   N', 'BTC     1.5     3', 'ETH    20      12'].join('\n'))
})

test('table of no rows is its header', (t) => {
  t.is(table(['A', 'B'], []), 'A  B')
})

test('fields pads keys to one width', (t) => {
  t.is(
    fields([
      ['a', '1'],
      ['long', '2'],
    ]),
    'a     1\nlong  2',
  )
})

test('balancesView shows amounts as the daemon formatted them, aligned', (t) => {
  const amount = (asset: 'BTC' | 'ETH', amount: string, formatted: string) => ({ asset, amount, formatted })
  const text = balancesView([
    {
      asset: 'BTC',
      chain: 'bitcoin',
      confirmed: amount('BTC', '150000000', '1.5'),
      unconfirmed: amount('BTC', '0', '0'),
    },
    {
      asset: 'ETH',
      chain: 'evm',
      confirmed: amount('ETH', '20000000000000000001', '20.000000000000000001'),
      unconfirmed: amount('ETH', '0', '0'),
    },
  ])
  t.is(
    text,
    [
      'ASSET  CHAIN    CONFIRMED              UNCONFIRMED',
      'BTC    bitcoin   1.5                   0',
      'ETH    evm      20.000000000000000001  0',
    ].join('\n'),
  )
})

test('swapEventLine names the step, the chain and the txid', (t) => {
  const txid = 'ab'.repeat(32)
  t.is(
    swapEventLine({
      at: 1795000000123,
      status: 'locked',
      note: 'maker lock broadcast',
      txid,
      chain: 'bitcoin',
    }),
    `  2026-11-18 11:06:40Z  locked         maker lock broadcast  bitcoin tx ${txid}`,
  )
  t.is(
    swapEventLine({ at: 1795000000123, status: 'negotiated', note: 'terms agreed' }),
    '  2026-11-18 11:06:40Z  negotiated     terms agreed',
  )
  t.is(
    swapEventLine({ at: 1795000000123, status: 'locked', note: 'maker lock seen on chain', txid }),
    `  2026-11-18 11:06:40Z  locked         maker lock seen on chain  tx ${txid}`,
  )
})
