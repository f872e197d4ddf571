import test from 'ava'
import { z } from 'zod'
import { runTs } from '../helpers/child.js'

const decimal = z.string().regex(/^-?\d+(\.\d+)?$/)
const txid = z.string().regex(/^[0-9a-f]{64}$/)
const txHash = z.string().regex(/^0x[0-9a-f]{64}$/)
const outcome = z.object({
  ok: z.literal(true),
  swapId: z.string().regex(/^[0-9a-f]{64}$/),
  market: z.literal('regtest:BTC/ETH'),
  status: z.object({ maker: z.literal('completed'), taker: z.literal('completed') }),
  btcLockTxid: txid,
  evmLockTxid: txHash,
  evmClaimTxid: txHash,
  btcClaimTxid: txid,
  balanceChanges: z.object({
    maker: z.object({ BTC: decimal, ETH: decimal }),
    taker: z.object({ BTC: decimal, ETH: decimal }),
  }),
})

test('npm run demo -- --json: two daemons trade, the swap completes, balances move by the terms and fees', async (t) => {
  const result = await runTs('regtest/demo.ts', ['--json', '--btc', '0.3', '--price', '5'])
  t.is(result.code, 0, result.stderr)
  const report = outcome.parse(JSON.parse(result.stdout.trim().split('\n').at(-1) ?? ''))
  t.regex(result.stdout, /\[Alice\] claim-signed +claim signed +evm tx 0x/)
  t.regex(result.stdout, /\[Bob {2}\] locked +secret learned from the chain/)
  t.regex(result.stdout, /taker must claim BTC by /)
  // Bob gets 0.3 BTC less his claim's fee (136 vB at 2 sat/vB) and pays 1.5 ETH plus gas.
  t.is(report.balanceChanges.taker.BTC, '0.29999728')
  t.true(report.balanceChanges.taker.ETH.startsWith('-1.500'), report.balanceChanges.taker.ETH)
  // Alice pays 0.3 BTC plus her lock's fee (153 vB at 2 sat/vB) and gets 1.5 ETH less her claim's gas.
  t.is(report.balanceChanges.maker.BTC, '-0.30000306')
  t.true(report.balanceChanges.maker.ETH.startsWith('1.499'), report.balanceChanges.maker.ETH)
})

test('npm run demo rejects bad amounts with a clear error and a non-zero exit', async (t) => {
  const result = await runTs('regtest/demo.ts', ['--json', '--btc', '0.123456789'])
  t.is(result.code, 1)
  t.regex(result.stderr, /at most 8 decimals/)
  t.deepEqual(JSON.parse(result.stdout.trim().split('\n').at(-1) ?? ''), {
    ok: false,
    error: 'INVALID_ARGUMENT: not an amount with at most 8 decimals: "0.123456789"',
  })
})
