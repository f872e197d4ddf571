import test from 'ava'
import { z } from 'zod'
import { runTs } from '../helpers/child.js'

const decimal = z.string().regex(/^-?\d+(\.\d+)?$/)
const txid = z.string().regex(/^[0-9a-f]{64}$/)
const txHash = z.string().regex(/^0x[0-9a-f]{64}$/)
const outcome = z.object({
  ok: z.literal(true),
  swap: z.object({ btcLockTxid: txid, evmLockTxHash: txHash, evmClaimTxHash: txHash, btcClaimTxid: txid }),
  refund: z.object({
    btcLockTxid: txid,
    evmLockTxHash: txHash,
    evmRefundTxHash: txHash,
    btcRefundTxid: txid,
  }),
  btcVbytes: z.object({ lock: z.number(), claim: z.number(), refund: z.number() }),
  balanceChanges: z.object({
    alice: z.object({ btc: decimal, eth: decimal, token: decimal }),
    bob: z.object({ btc: decimal, eth: decimal, token: decimal }),
  }),
})

test('npm run demo -- --json: both swaps settle and every balance ends where the terms and fees say', async (t) => {
  const result = await runTs('regtest/demo.ts', ['--json', '--btc', '0.3', '--eth', '1.5', '--tokens', '40'])
  t.is(result.code, 0, result.stderr)
  const lines = result.stdout.trim().split('\n')
  const report = outcome.parse(JSON.parse(lines.at(-1) ?? ''))
  t.regex(result.stdout, /Alice claims the ETH, revealing the secret/)
  t.regex(result.stdout, /Bob claims the BTC with the secret from the Claimed event/)

  // Bob receives the BTC less the claim's fee (136 vB at 2 sat/vB) and pays exactly 1.5 ETH plus gas.
  t.is(report.balanceChanges.bob.btc, '0.29999728')
  t.true(report.balanceChanges.bob.eth.startsWith('-1.500'), report.balanceChanges.bob.eth)
  // Alice pays 0.3 BTC plus the fees of two locks and one refund (at 2 sat/vB); she gets 1.5 ETH less gas.
  const aliceFees = 2 * (2 * report.btcVbytes.lock + report.btcVbytes.refund)
  t.is(report.balanceChanges.alice.btc, `-0.3000${String(aliceFees).padStart(4, '0')}`)
  t.true(report.balanceChanges.alice.eth.startsWith('1.499'), report.balanceChanges.alice.eth)
  // The refunded swap returned every token.
  t.is(report.balanceChanges.alice.token, '0')
  t.is(report.balanceChanges.bob.token, '0')
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
