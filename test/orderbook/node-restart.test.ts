import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import test from 'ava'
import { orderIdHex } from '../../src/orderbook/order.js'
import { IDENTITY_FILE } from '../../src/p2p/identity.js'
import { hexOf, REGTEST_BTC_ETH as MARKET, P2pScene } from '../helpers/p2p.js'

const scene = new P2pScene()
test.before(() => scene.ready())
test.after.always(() => scene.close())

const params = (amount: bigint) => ({
  market: MARKET,
  side: 'sell' as const,
  amount,
  minFill: 1_000n,
  priceNum: 3n,
  priceDen: 100n,
  expiry: Math.floor(Date.now() / 1000) + 3600,
})

test('a restarted maker re-announces its live orders from the journal, not its cancelled or filled ones', async (t) => {
  const watcher = await scene.node('watcher')
  await watcher.join(MARKET)
  const maker = await scene.node('maker')
  const makerKey = hexOf(maker.publicKey)
  await maker.join(MARKET)
  const kept = await maker.place(params(100_000n))
  const partly = await maker.place(params(200_000n))
  const cancelled = await maker.place(params(300_000n))
  const filled = await maker.place(params(400_000n))
  await maker.fill(orderIdHex(partly), 50_000n)
  await maker.cancel(orderIdHex(cancelled))
  await maker.fill(orderIdHex(filled), 400_000n)
  const book = watcher.book(MARKET)
  await book.waitFor(
    (b) => b.ordersOf(makerKey).length === 2 && b.get(orderIdHex(partly))?.remaining === 150_000n,
    30_000,
  )
  await maker.close()
  await book.waitFor((b) => b.ordersOf(makerKey).length === 0, 30_000)

  // Same storage dir: same identity, and ready() alone rejoins the market of the live orders.
  const restarted = await scene.node('maker')
  t.is(hexOf(restarted.publicKey), makerKey)
  // The snapshot is the orders, then an update for each partly filled one.
  await book.waitFor(
    (b) => b.ordersOf(makerKey).length === 2 && b.get(orderIdHex(partly))?.remaining === 150_000n,
    30_000,
  )
  t.is(book.get(orderIdHex(kept))?.remaining, 100_000n)
  t.is(book.get(orderIdHex(partly))?.remaining, 150_000n)
  t.false(book.has(orderIdHex(cancelled)))
  t.false(book.has(orderIdHex(filled)))
  t.deepEqual(
    restarted
      .book(MARKET)
      .ordersOf(makerKey)
      .map((e) => orderIdHex(e.order))
      .sort(),
    [orderIdHex(kept), orderIdHex(partly)].sort(),
  )
  // The replayed orders are still the node's own: it can cancel them.
  await restarted.cancel(orderIdHex(kept))
  await book.waitFor((b) => !b.has(orderIdHex(kept)), 30_000)
})

test('the identity file persists with mode 0600', async (t) => {
  const node = await scene.node('identity')
  const key = hexOf(node.publicKey)
  await node.close()
  t.is((await stat(join(scene.dir('identity'), IDENTITY_FILE))).mode & 0o777, 0o600)
  const again = await scene.node('identity')
  t.is(hexOf(again.publicKey), key)
})

test('an order that expired while the maker was down is not re-announced', async (t) => {
  const maker = await scene.node('short-lived')
  await maker.join(MARKET)
  const order = await maker.place({ ...params(10_000n), expiry: Math.floor(Date.now() / 1000) + 2 })
  t.true(maker.book(MARKET).has(orderIdHex(order)))
  await maker.close()
  await new Promise((resolve) => setTimeout(resolve, 2_100))
  const restarted = await scene.node('short-lived')
  await restarted.join(MARKET)
  t.false(restarted.book(MARKET).has(orderIdHex(order)))
  await t.throwsAsync(restarted.cancel(orderIdHex(order)), { code: 'NOT_FOUND' } as never)
})
