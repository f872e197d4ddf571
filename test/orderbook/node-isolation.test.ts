import test from 'ava'
import { marketId } from '../../src/orderbook/market.js'
import type { OrderbookNode } from '../../src/orderbook/node.js'
import { orderIdHex } from '../../src/orderbook/order.js'
import type { Market } from '../../src/orderbook/types.js'
import { P2pScene, waitUntil } from '../helpers/p2p.js'

const BTC_ETH: Market = { network: 'regtest', base: 'BTC', quote: 'ETH' }
const BTC_TOKEN: Market = { network: 'regtest', base: 'BTC', quote: `ERC20:0x${'ab'.repeat(20)}` }
const TESTNET_BTC_ETH: Market = { network: 'testnet', base: 'BTC', quote: 'ETH' }

const scene = new P2pScene()
test.before(() => scene.ready())
test.after.always(() => scene.close())

const place = (node: OrderbookNode, market: Market) =>
  node.place({
    market,
    side: 'buy',
    amount: 50_000n,
    minFill: 50_000n,
    priceNum: 7n,
    priceDen: 10n,
    expiry: Math.floor(Date.now() / 1000) + 600,
  })

test('two markets and two networks on one DHT never see each other', async (t) => {
  // Four pairs on the same local DHT: regtest BTC/ETH, regtest BTC/token, testnet BTC/ETH (same assets,
  // other network), and a node in both regtest markets that must keep them apart.
  const [ethA, ethB, tokenA, tokenB, testA, testB, both] = await Promise.all([
    scene.node('eth-a'),
    scene.node('eth-b'),
    scene.node('token-a'),
    scene.node('token-b'),
    scene.node('testnet-a', {}, 'testnet'),
    scene.node('testnet-b', {}, 'testnet'),
    scene.node('both'),
  ] as const)
  await Promise.all([
    ethA.join(BTC_ETH),
    ethB.join(BTC_ETH),
    tokenA.join(BTC_TOKEN),
    tokenB.join(BTC_TOKEN),
    testA.join(TESTNET_BTC_ETH),
    testB.join(TESTNET_BTC_ETH),
    both.join(BTC_ETH),
    both.join(BTC_TOKEN),
  ])
  const ethOrder = await place(ethA, BTC_ETH)
  const tokenOrder = await place(tokenA, BTC_TOKEN)
  const testOrder = await place(testA, TESTNET_BTC_ETH)
  await ethB.book(BTC_ETH).waitFor((b) => b.has(orderIdHex(ethOrder)), 30_000)
  await tokenB.book(BTC_TOKEN).waitFor((b) => b.has(orderIdHex(tokenOrder)), 30_000)
  await testB.book(TESTNET_BTC_ETH).waitFor((b) => b.has(orderIdHex(testOrder)), 30_000)
  await both.book(BTC_ETH).waitFor((b) => b.size === 1, 30_000)
  await both.book(BTC_TOKEN).waitFor((b) => b.size === 1, 30_000)

  for (const [node, market] of [
    [ethB, BTC_ETH],
    [tokenB, BTC_TOKEN],
    [testB, TESTNET_BTC_ETH],
  ] as const) {
    t.is(node.book(market).size, 1, `${marketId(market)} holds only its own order`)
  }
  t.true(both.book(BTC_ETH).has(orderIdHex(ethOrder)))
  t.true(both.book(BTC_TOKEN).has(orderIdHex(tokenOrder)))
  t.throws(() => ethB.book(BTC_TOKEN), { code: 'NOT_FOUND' } as never)
  // The testnet pair never even connects to a regtest node: the network is part of the topic.
  await waitUntil(() => testB.peers().length >= 1, 30_000, 'the testnet pair to connect')
  const regtestKeys = new Set(
    [ethA, ethB, tokenA, tokenB, both].map((n) => Buffer.from(n.publicKey).toString('hex')),
  )
  t.false(testB.peers().some((p) => regtestKeys.has(p.publicKey)))
})

test('regtest without a local bootstrap list is refused, so it can never reach the public DHT', async (t) => {
  const { OrderbookNode } = await import('../../src/orderbook/node.js')
  const node = new OrderbookNode({ network: 'regtest', storageDir: scene.dir('no-bootstrap') })
  await t.throwsAsync(node.ready(), { code: 'INVALID_ARGUMENT' } as never)
  await node.close()
})
