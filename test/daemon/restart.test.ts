import { once } from 'node:events'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import test from 'ava'
import { DaemonScene } from '../../regtest/daemon-scene.js'

/** The real binaries: a swarmswapd killed with SIGKILL in the middle of a swap, started again, finishes it. */

const scene = new DaemonScene()
const SWAP_TIMEOUT_MS = 120_000

test.before(async () => {
  await scene.ready()
})

test.after.always(async () => {
  await scene.close()
})

test('a taker daemon killed mid-swap and restarted finishes the swap; so does its maker', async (t) => {
  const [alice, bob] = await Promise.all([scene.start('alice'), scene.start('bob')])
  await scene.fund(alice, { sats: 60_000_000n, wei: 10n ** 18n })
  await scene.fund(bob, { sats: 0n, wei: 20n * 10n ** 18n })
  await Promise.all([alice.client.joinMarket('BTC', 'ETH'), bob.client.joinMarket('BTC', 'ETH')])
  const order = await alice.client.placeOrder({
    base: 'BTC',
    quote: 'ETH',
    side: 'sell',
    amount: '0.5',
    price: '20',
  })
  const deadline = Date.now() + 60_000
  while (!(await bob.client.orderbook('BTC', 'ETH')).asks.some((ask) => ask.orderId === order.orderId)) {
    if (Date.now() > deadline) t.fail("the order never reached the taker's book")
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  const swap = await bob.client.take(order.orderId)

  // Bob dies once the maker's lock is audited: his own lock is being signed, stored or sent right then.
  const atKill = await bob.client.waitForSwap(swap.id, (s) => s.status !== 'negotiated', SWAP_TIMEOUT_MS)
  bob.child.kill('SIGKILL')
  await once(bob.child, 'exit')
  t.false(atKill.final, `killed mid-swap (${atKill.status})`)
  // The dead daemon's api.json names its old port; the new one writes its own.
  await rm(join(bob.datadir, 'api.json'), { force: true })
  const restarted = await scene.start('bob')

  const [maker, taker] = await Promise.all([
    alice.client.waitForSwap(swap.id, (s) => s.final, SWAP_TIMEOUT_MS),
    restarted.client.waitForSwap(swap.id, (s) => s.final, SWAP_TIMEOUT_MS),
  ])
  t.is(maker.status, 'completed')
  t.is(taker.status, 'completed')
  t.truthy(taker.history.find((e) => e.note === 'secret learned from the chain'))
})
