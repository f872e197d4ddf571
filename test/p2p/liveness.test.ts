import test from 'ava'
import crypto from 'hypercore-crypto'
import { createOrder, orderIdHex } from '../../src/orderbook/order.js'
import { hexOf, REGTEST_BTC_ETH as MARKET, P2pScene, waitUntil } from '../helpers/p2p.js'

const scene = new P2pScene()
test.before(() => scene.ready())
test.after.always(() => scene.close())

test('a peer that stops answering pings is dropped with its orders within peerTimeoutMs', async (t) => {
  const node = await scene.node('watcher', { pingIntervalMs: 100, peerTimeoutMs: 600 })
  await node.join(MARKET)
  const keyPair = crypto.keyPair()
  // It answers the hello (so the connection counts as alive), then never another ping.
  const raw = await scene.raw(MARKET, { keyPair, pongs: 1 })
  const nodeKey = hexOf(node.publicKey)
  await waitUntil(() => raw.channel(nodeKey) !== undefined, 30_000, 'the raw channel')
  const order = createOrder(
    {
      market: MARKET,
      side: 'sell',
      amount: 10_000n,
      minFill: 10_000n,
      priceNum: 1n,
      priceDen: 1n,
      expiry: Math.floor(Date.now() / 1000) + 600,
    },
    keyPair,
  )
  raw.send(nodeKey, { type: 'orders', orders: [order] })
  await node.book(MARKET).waitFor((b) => b.has(orderIdHex(order)), 30_000)
  const heldAt = Date.now()
  // The raw peer never answers a ping: silence from the moment its order arrived.
  await node.book(MARKET).waitFor((b) => !b.has(orderIdHex(order)), 5_000)
  const droppedAfter = Date.now() - heldAt
  t.log(`silent maker dropped after ${droppedAfter} ms (peerTimeoutMs 600, pingIntervalMs 100)`)
  t.true(droppedAfter >= 500 && droppedAfter <= 1_500, `${droppedAfter} ms`)
  t.deepEqual(node.banned(), [], 'silence is not misbehaviour')
})

test('a connection whose hello ping goes unanswered is closed within helloTimeoutMs, and the node looks again', async (t) => {
  const node = await scene.node('hello-watcher', { helloTimeoutMs: 500 })
  const nodeKey = hexOf(node.publicKey)
  await node.join(MARKET)
  // A peer that opens every channel but answers nothing: what a connection the remote already dropped
  // looks like from this end.
  const mute = await scene.raw(MARKET, { pongs: 0 })
  await waitUntil(() => (mute.closes.get(nodeKey) ?? 0) >= 1, 30_000, 'the first connection to close')
  const closedAt = Date.now()
  t.true(
    node.peers().every((p) => p.publicKey !== mute.publicKeyHex),
    'the node holds no connection to it',
  )
  // The node found the dead connection itself; it looks the topic up again (and Hyperswarm redials what it
  // had dialled): a new connection follows within seconds, not at the next 10-minute refresh.
  await waitUntil(() => (mute.closes.get(nodeKey) ?? 0) >= 2, 10_000, 'a second connection to be tried')
  t.log(`reconnected and dropped again ${Date.now() - closedAt} ms later`)
  t.deepEqual(node.banned(), [], 'silence is not misbehaviour')
})

test('ping measures one round trip over the channel', async (t) => {
  const a = await scene.node('ping-a')
  const b = await scene.node('ping-b')
  await Promise.all([a.join(MARKET), b.join(MARKET)])
  // Other tests of this file run nodes on the same market: wait for the channel to b itself.
  const bKey = hexOf(b.publicKey)
  await waitUntil(
    () => a.peers().some((p) => p.publicKey === bKey && p.markets.length > 0),
    30_000,
    'the channel',
  )
  const ms = await a.ping(bKey, MARKET)
  // How fast is the benchmark's business; here: a real round trip happened and was timed.
  t.true(Number.isFinite(ms) && ms > 0)
  t.log(`ping ${ms.toFixed(2)} ms`)
  await t.throwsAsync(a.ping('00'.repeat(32), MARKET), { code: 'NOT_FOUND' } as never)
})
