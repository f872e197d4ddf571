import test from 'ava'
import { DaemonScene } from '../regtest/daemon-scene.js'
import type { SwapView } from '../src/sdk/types.js'
import { runTs } from './helpers/child.js'

function lastJsonLine(stdout: string): Record<string, unknown> {
  return JSON.parse(stdout.trimEnd().split('\n').at(-1) ?? '') as Record<string, unknown>
}

test('examples/embedded-htlc.ts builds, audits, claims and refunds a Bitcoin HTLC without a daemon', async (t) => {
  const { code, stdout, stderr } = await runTs('examples/embedded-htlc.ts', [])
  t.is(code, 0, stderr)
  // Fixed keys, secret and deadline: the same script, transactions and EVM key on every run.
  t.deepEqual(lastJsonLine(stdout), {
    address: 'bcrt1q2zclvu2g2ucr3jzxzmkqvugdyjehuxfvfykc7xw4cdvcfuf5h3wqw8pet4',
    lockTxid: '612a6cd5a07946629e58d8bbf55c44e9b052237b18269b62352cce0784a8ad94',
    claimTxid: 'bd98b6b698a575c8d9340cef377636ed965191d5087cf21bb810d130b441cdff',
    refundTxid: 'eed4d8623330d9bb7a09f8effb9115be86d51587642355136e1c4c362501ec36',
    refundLockTime: 1_800_000_000,
    secretLearned: true,
    evmSwapKey: '0x3397b689734b3e4912032ceb37e18db43081093e07dcabcd19cca85ce16d5025',
  })
  t.regex(stdout, /claim tx\s+bd98b6b6\S+ \(136 vB, fee 272 sats\)/)
})

test('examples/sdk-take.ts shows the book, takes the order and follows the swap to completion', async (t) => {
  const scene = new DaemonScene()
  try {
    await scene.ready()
    const [maker, taker] = await Promise.all([scene.start('maker'), scene.start('taker')])
    await Promise.all([maker.client.joinMarket('BTC', 'ETH'), taker.client.joinMarket('BTC', 'ETH')])
    await scene.fund(maker, { sats: 50_000_000n, wei: 10n ** 18n })
    await scene.fund(taker, { sats: 10_000_000n, wei: 10n * 10n ** 18n })

    // The maker side through the SDK: its typed events follow the swap the example starts.
    const updates: SwapView[] = []
    const events = await maker.client.events()
    events.on('swap.updated', ({ swap }) => updates.push(swap))
    const order = await maker.client.placeOrder({
      base: 'BTC',
      quote: 'ETH',
      side: 'sell',
      amount: '0.05',
      price: '20',
      expiresIn: 600,
    })

    const started = Date.now()
    const run = await runTs('examples/sdk-take.ts', ['--datadir', taker.datadir, 'BTC', 'ETH'])
    t.log(`example ran ${Date.now() - started} ms`)
    t.is(run.code, 0, `${run.stdout}\n${run.stderr}\n${taker.logs().slice(-2000)}`)
    t.regex(run.stdout, new RegExp(`best ask: 0\\.05 BTC at 20 ETH/BTC \\(order ${order.orderId}\\)`))
    t.regex(run.stdout, /I send 1 ETH, receive 0\.05 BTC/)
    const summary = lastJsonLine(run.stdout)
    t.like(summary, { status: 'completed' })

    const swapId = String(summary.swapId)
    const makerSide = await maker.client.waitForSwap(swapId, (swap) => swap.final, 60_000)
    t.like(makerSide, { id: swapId, role: 'maker', status: 'completed', orderId: order.orderId })
    const seen = updates.filter((swap) => swap.id === swapId)
    t.true(seen.length >= 3, `only ${seen.length} swap.updated notifications`)
    t.is(seen.at(-1)?.status, 'completed')
  } finally {
    await scene.close()
  }
})
