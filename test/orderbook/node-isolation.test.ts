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
  // Each book is read right after it holds its expected order: a connection that is dropped and dialled again
  // (Hyperswarm's duplicate-connection race, docs/PROTOCOL.md section 9) empties a book for a few seconds, and
  // that must not read as isolation failing. An order of another market or network would be there beside it.
  for (const [node, market, order] of [
    [ethB, BTC_ETH, ethOrder],
    [tokenB, BTC_TOKEN, tokenOrder],
    [testB, TESTNET_BTC_ETH, testOrder],
    [both, BTC_ETH, ethOrder],
    [both, BTC_TOKEN, tokenOrder],
  ] as const) {
    const book = node.book(market)
    await book.waitFor((b) => b.has(orderIdHex(order)), 30_000)
    t.deepEqual(
      [...book.bids(), ...book.asks()].map((e) => orderIdHex(e.order)),
      [orderIdHex(order)],
      `${marketId(market)} holds only its own order`,
    )
  }
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
