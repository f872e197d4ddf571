import { performance } from 'node:perf_hooks'
import test from 'ava'
import { marketId } from '../../src/orderbook/market.js'
import type { OrderbookNode } from '../../src/orderbook/node.js'
import { orderIdHex } from '../../src/orderbook/order.js'
import type { SignedOrder } from '../../src/orderbook/types.js'
import { hexOf, REGTEST_BTC_ETH as MARKET, P2pScene, waitUntil } from '../helpers/p2p.js'

// Ten real Hyperswarm nodes on a local DHT in this process; one mesh shared by the serial tests below.
const PEERS = 10
// Generous: on a busy machine, discovery may need one of the swarm's follow-up lookups (up to 15 s).
const WAIT_MS = 30_000
const scene = new P2pScene()
let mesh: OrderbookNode[] = []

test.before(async () => {
  await scene.ready()
  mesh = await Promise.all(Array.from({ length: PEERS }, (_, i) => scene.node(`peer-${i}`)))
  await Promise.all(mesh.map((node) => node.join(MARKET)))
  await waitUntil(() => mesh.every((node) => channelsOpen(node) >= PEERS - 1), 30_000, 'the mesh to form')
})
test.after.always(() => scene.close())

function channelsOpen(node: OrderbookNode): number {
  return node.peers().filter((p) => p.markets.includes(marketId(MARKET))).length
}

const expiry = () => Math.floor(Date.now() / 1000) + 3600
let priceStep = 0n
const place = (maker: OrderbookNode, side: 'sell' | 'buy' = 'sell', amount = 1_000_000n) =>
  maker.place({
    market: MARKET,
    side,
    amount,
    minFill: 1_000n,
    priceNum: 20n + priceStep++,
    priceDen: 1000n,
    expiry: expiry(),
  })

/** Resolves when `predicate` holds in every listed node's book; returns the ms it took. */
async function everywhere(
  nodes: OrderbookNode[],
  predicate: (node: OrderbookNode) => boolean,
  started: number,
) {
  await Promise.all(nodes.map((node) => node.book(MARKET).waitFor(() => predicate(node), WAIT_MS)))
  return performance.now() - started
}

test.serial('an order placed at one peer is in every book; measured propagation', async (t) => {
  const times: number[] = []
  for (let i = 0; i < 10; i++) {
    const started = performance.now()
    const order = await place(mesh[i % PEERS] as OrderbookNode, i % 2 === 0 ? 'sell' : 'buy')
    times.push(await everywhere(mesh, (node) => node.book(MARKET).has(orderIdHex(order)), started))
  }
  const sorted = [...times].sort((a, b) => a - b)
  t.log(
    `propagation to all ${PEERS} peers, ms: min ${sorted[0]?.toFixed(1)} median ${sorted[5]?.toFixed(1)} max ${sorted.at(-1)?.toFixed(1)}`,
  )
  const sizes = new Set(mesh.map((node) => node.book(MARKET).size))
  t.deepEqual([...sizes], [10], 'every book holds the same ten orders')
})

test.serial('a cancel removes the order from every book', async (t) => {
  const maker = mesh[1] as OrderbookNode
  const order = await place(maker)
  const id = orderIdHex(order)
  await everywhere(mesh, (node) => node.book(MARKET).has(id), performance.now())
  const started = performance.now()
  await maker.cancel(id)
  t.log(
    `cancel reached all peers in ${(await everywhere(mesh, (node) => !node.book(MARKET).has(id), started)).toFixed(1)} ms`,
  )
  await t.throwsAsync(maker.cancel(id), { code: 'NOT_FOUND' } as never)
})

test.serial('a partial fill updates what remains everywhere; a full fill removes it', async (t) => {
  const maker = mesh[2] as OrderbookNode
  const order: SignedOrder = await place(maker, 'buy', 500_000n)
  const id = orderIdHex(order)
  await everywhere(mesh, (node) => node.book(MARKET).has(id), performance.now())
  const started = performance.now()
  await maker.fill(id, 200_000n)
  const ms = await everywhere(mesh, (node) => node.book(MARKET).get(id)?.remaining === 300_000n, started)
  t.log(`partial fill reached all peers in ${ms.toFixed(1)} ms`)
  await t.throwsAsync(maker.fill(id, 300_001n), { code: 'INVALID_ARGUMENT' } as never)
  await maker.fill(id, 300_000n)
  await everywhere(mesh, (node) => !node.book(MARKET).has(id), performance.now())
  t.pass()
})

test.serial('an order leaves every book when it expires, with no message from its maker', async (t) => {
  const maker = mesh[3] as OrderbookNode
  const expiresAt = Math.ceil(Date.now() / 1000) + 2
  const order = await maker.place({
    market: MARKET,
    side: 'sell',
    amount: 70_000n,
    minFill: 70_000n,
    priceNum: 7n,
    priceDen: 1n,
    expiry: expiresAt,
  })
  const id = orderIdHex(order)
  await everywhere(mesh, (node) => node.book(MARKET).has(id), performance.now())
  await everywhere(mesh, (node) => !node.book(MARKET).has(id), performance.now())
  t.true(Date.now() >= expiresAt * 1000, 'not before its expiry')
})

test.serial('a peer that joins late gets the full book, partial fills included', async (t) => {
  const filled = await place(mesh[4] as OrderbookNode, 'sell', 900_000n)
  await (mesh[4] as OrderbookNode).fill(orderIdHex(filled), 100_000n)
  const reference = mesh[0] as OrderbookNode
  await everywhere(
    [reference],
    (node) => node.book(MARKET).get(orderIdHex(filled))?.remaining === 800_000n,
    0,
  )
  const expected = reference.book(MARKET).size
  t.true(expected >= 10)

  const started = performance.now()
  const late = await scene.node('late')
  await late.join(MARKET)
  // A snapshot is the orders, then an update for each partly filled one: wait for both.
  const ms = await everywhere(
    [late],
    (node) =>
      node.book(MARKET).size === expected &&
      node.book(MARKET).get(orderIdHex(filled))?.remaining === 800_000n,
    started,
  )
  t.log(`late joiner held all ${expected} orders ${ms.toFixed(1)} ms after ready() + join()`)
  const book = late.book(MARKET)
  t.is(book.get(orderIdHex(filled))?.remaining, 800_000n)
  t.deepEqual(book.depth(), reference.book(MARKET).depth())
  mesh.push(late)
})

test.serial('a nudge reaches only the peer it is sent to, within a budget of 20 at once', async (t) => {
  const sender = mesh[6] as OrderbookNode
  const receiver = mesh[7] as OrderbookNode
  const bystander = mesh[8] as OrderbookNode
  const heard: [OrderbookNode, string, string][] = []
  for (const node of [receiver, bystander]) node.on('nudge', (peer, id) => heard.push([node, peer, id]))
  const to = hexOf(receiver.publicKey)
  const swapId = new Uint8Array(32).fill(0x55)
  t.true(sender.nudge(to, MARKET, swapId))
  await waitUntil(() => heard.length > 0, WAIT_MS, 'the nudge')
  t.deepEqual(heard, [[receiver, hexOf(sender.publicKey), '55'.repeat(32)]])
  t.false(sender.nudge('ab'.repeat(32), MARKET, swapId), 'no channel to an unknown peer')
  let sent = 1
  while (sender.nudge(to, MARKET, swapId)) sent++
  t.true(sent >= 20 && sent <= 21, `${sent} nudges went out at once`)
  await waitUntil(() => heard.length === sent, WAIT_MS, 'every nudge')
  const seen = receiver.peers().find((p) => p.publicKey === hexOf(sender.publicKey))
  t.is(seen?.misbehaviour, 0, 'nudges within the budget are no offence')
})

test.serial('a maker that closes disappears from every book', async (t) => {
  const leaving = mesh[5] as OrderbookNode
  await place(leaving)
  const key = hexOf(leaving.publicKey)
  const others = mesh.filter((node) => node !== leaving)
  await everywhere(others, (node) => node.book(MARKET).ordersOf(key).length > 0, performance.now())
  const started = performance.now()
  await leaving.close()
  await leaving.close()
  const ms = await everywhere(others, (node) => node.book(MARKET).ordersOf(key).length === 0, started)
  t.log(`a closed maker's orders left all ${others.length} books in ${ms.toFixed(1)} ms`)
  await waitUntil(
    () => others.every((node) => !node.peers().some((p) => p.publicKey === key)),
    WAIT_MS,
    'peer-remove',
  )
  t.pass()
})
