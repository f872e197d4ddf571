import test from 'ava'
import crypto from 'hypercore-crypto'
import type { OrderbookNode } from '../../src/orderbook/node.js'
import { createOrder, orderIdHex } from '../../src/orderbook/order.js'
import type { SignedOrder } from '../../src/orderbook/types.js'
import type { PeerLimits } from '../../src/p2p/limits.js'
import { encodeHandshake, encodeMessage, PROTOCOL_VERSION } from '../../src/p2p/wire.js'
import { hexOf, REGTEST_BTC_ETH as MARKET, P2pScene, type RawPeer, waitUntil } from '../helpers/p2p.js'

// A victim node and an honest peer; each case brings a fresh hostile identity speaking raw frames.
const LIMITS: Partial<PeerLimits> = { banMs: 1_500, messagesPerSecond: 50, maxMessageBytes: 64 * 1024 }
const scene = new P2pScene()
let victim: OrderbookNode
let honest: OrderbookNode
let victimKey: string

test.before(async () => {
  await scene.ready()
  victim = await scene.node('victim', LIMITS)
  honest = await scene.node('honest', LIMITS)
  victimKey = hexOf(victim.publicKey)
  await Promise.all([victim.join(MARKET), honest.join(MARKET)])
  await waitUntil(
    () => victim.peers().some((p) => p.publicKey === hexOf(honest.publicKey)),
    30_000,
    'honest peer',
  )
})
test.after.always(() => scene.close())

const expiry = () => Math.floor(Date.now() / 1000) + 600
function orderBy(
  keyPair: { publicKey: Uint8Array; secretKey: Uint8Array },
  overrides: { expiry?: number; createdAt?: number } = {},
) {
  return createOrder(
    {
      market: MARKET,
      side: 'sell',
      amount: 100_000n,
      minFill: 1_000n,
      priceNum: 5n,
      priceDen: 4n,
      expiry: overrides.expiry ?? expiry(),
      ...overrides,
    },
    keyPair,
    // Signed as of its own createdAt, so a test can make an order that has already expired.
    { now: overrides.createdAt ?? Date.now() },
  )
}

async function hostile(): Promise<{ raw: RawPeer; keyPair: ReturnType<typeof crypto.keyPair> }> {
  const keyPair = crypto.keyPair()
  const raw = await scene.raw(MARKET, { keyPair })
  await waitUntil(() => raw.channel(victimKey) !== undefined, 30_000, 'the hostile channel to open')
  return { raw, keyPair }
}

const isBanned = (key: string) => victim.banned().some((ban) => ban.publicKey === key)

/** After each case: the victim's book has nothing of the offender, and the honest peer still trades with it. */
async function honestStillWorks(t: { true: (v: boolean, m?: string) => void }, offender: string) {
  t.true(victim.book(MARKET).ordersOf(offender).length === 0, 'no order of the offender in the book')
  t.true(
    victim.peers().some((p) => p.publicKey === hexOf(honest.publicKey)),
    'honest peer still connected',
  )
  const order = await honest.place({
    market: MARKET,
    side: 'buy',
    amount: 5_000n,
    minFill: 5_000n,
    priceNum: 1n,
    priceDen: 2n,
    expiry: expiry(),
  })
  await victim.book(MARKET).waitFor((b) => b.has(orderIdHex(order)), 30_000)
}

/** Sends, then gives the victim a moment; a ban shows up as a closed connection and a ban entry. */
async function settle(raw: RawPeer, banned: boolean): Promise<void> {
  if (banned)
    await waitUntil(
      () => (raw.closes.get(victimKey) ?? 0) > 0 && isBanned(raw.publicKeyHex),
      5_000,
      'the ban',
    )
  else await new Promise((resolve) => setTimeout(resolve, 150))
}

test.serial('a forged signature bans at once', async (t) => {
  const { raw, keyPair } = await hostile()
  const order = orderBy(keyPair)
  const forged: SignedOrder = {
    ...order,
    signature: Uint8Array.from(order.signature, (b, i) => (i === 0 ? b ^ 1 : b)),
  }
  raw.send(victimKey, { type: 'orders', orders: [forged] })
  await settle(raw, true)
  t.regex(victim.banned().find((b) => b.publicKey === raw.publicKeyHex)?.reason ?? '', /bad-signature/)
  await honestStillWorks(t, raw.publicKeyHex)
})

test.serial('an expired order is dropped without a ban (clocks differ)', async (t) => {
  const { raw, keyPair } = await hostile()
  raw.send(victimKey, {
    type: 'orders',
    orders: [orderBy(keyPair, { createdAt: Date.now() - 60_000, expiry: Math.floor(Date.now() / 1000) - 5 })],
  })
  await settle(raw, false)
  t.false(isBanned(raw.publicKeyHex))
  t.truthy(raw.channel(victimKey), 'still connected')
  // The same peer's valid order is then accepted.
  const valid = orderBy(keyPair)
  raw.send(victimKey, { type: 'orders', orders: [valid] })
  await victim.book(MARKET).waitFor((b) => b.has(orderIdHex(valid)), 5_000)
  await raw.close()
  await victim.book(MARKET).waitFor((b) => !b.has(orderIdHex(valid)), 5_000)
  await honestStillWorks(t, raw.publicKeyHex)
})

/**
 * A valid `orders` frame whose amount string ("100000" on the wire) is replaced, byte for byte, by another
 * string of the same length, so the framing stays intact and only the amount's text is hostile.
 */
function ordersFrameWithAmount(text: string): Uint8Array {
  const frame = encodeMessage({ type: 'orders', orders: [orderBy(crypto.keyPair())] })
  const original = Buffer.from('100000')
  const at = Buffer.from(frame).indexOf(original)
  if (at < 0 || text.length !== original.length)
    throw new Error('the amount text is not where the test expects')
  const mutated = Uint8Array.from(frame)
  mutated.set(Buffer.from(text), at)
  return mutated
}

const garbage: { name: string; frame: (maxBytes: number) => Uint8Array }[] = [
  { name: 'oversized message', frame: (max) => new Uint8Array(max + 1).fill(7) },
  { name: 'malformed bytes', frame: () => Uint8Array.from([0xff, 0xfe, 0x00, 0x13, 0x37]) },
  { name: 'empty message', frame: () => new Uint8Array(0) },
  { name: 'unknown message type', frame: () => Uint8Array.from([0xee, 0x01, 0x02, 0x03]) },
  { name: 'float-looking amount', frame: () => ordersFrameWithAmount('1000.0') },
  { name: 'exponent amount', frame: () => ordersFrameWithAmount('1.00e5') },
  { name: 'negative amount', frame: () => ordersFrameWithAmount('-10000') },
  { name: 'leading-zero amount', frame: () => ordersFrameWithAmount('010000') },
]
for (const { name, frame } of garbage) {
  test.serial(`${name}: dropped and scored; the second one bans`, async (t) => {
    const { raw } = await hostile()
    const bytes = frame(LIMITS.maxMessageBytes as number)
    const before = victim.book(MARKET).size
    raw.sendRaw(victimKey, bytes)
    await settle(raw, false)
    t.false(isBanned(raw.publicKeyHex), 'one is forgiven')
    t.true(
      (victim.peers().find((p) => p.publicKey === raw.publicKeyHex)?.misbehaviour ?? 0) >= 50,
      'but scored',
    )
    t.is(victim.book(MARKET).size, before, 'the book is unchanged')
    raw.sendRaw(victimKey, bytes)
    await settle(raw, true)
    await honestStillWorks(t, raw.publicKeyHex)
  })
}

test.serial('a channel of another protocol version stays shut without a penalty', async (t) => {
  const handshake = encodeHandshake({ version: PROTOCOL_VERSION, market: MARKET })
  const version2 = Uint8Array.from([2, ...handshake.subarray(1)])
  const raw = await scene.raw(MARKET, { handshake: version2 })
  await waitUntil(
    () => victim.peers().some((p) => p.publicKey === raw.publicKeyHex),
    30_000,
    'the connection',
  )
  await new Promise((resolve) => setTimeout(resolve, 300))
  t.false(isBanned(raw.publicKeyHex), 'not an offence')
  const summary = victim.peers().find((p) => p.publicKey === raw.publicKeyHex)
  t.deepEqual(summary?.markets, [], 'no order book channel opened')
  t.is(summary?.misbehaviour, 0)
  await raw.close()
})

test.serial('orders of another maker are refused: nothing is relayed; repeated, a ban', async (t) => {
  const { raw } = await hostile()
  const someoneElse = orderBy(crypto.keyPair())
  raw.send(victimKey, { type: 'orders', orders: [someoneElse] })
  await settle(raw, false)
  t.false(victim.book(MARKET).has(orderIdHex(someoneElse)))
  t.false(isBanned(raw.publicKeyHex))
  // Cancelling the honest peer's order is just as foreign.
  const honestOrder = await honest.place({
    market: MARKET,
    side: 'sell',
    amount: 9_000n,
    minFill: 9_000n,
    priceNum: 9n,
    priceDen: 1n,
    expiry: expiry(),
  })
  await victim.book(MARKET).waitFor((b) => b.has(orderIdHex(honestOrder)), 5_000)
  raw.send(victimKey, { type: 'cancel', ids: [honestOrder.id] })
  await settle(raw, true)
  t.true(victim.book(MARKET).has(orderIdHex(honestOrder)), 'the honest order is untouched')
  await honestStillWorks(t, raw.publicKeyHex)
})

test.serial('a flood is rate-limited, then banned', async (t) => {
  const { raw, keyPair } = await hostile()
  const orders = Array.from({ length: 400 }, () => orderBy(keyPair))
  for (const order of orders) raw.send(victimKey, { type: 'orders', orders: [order] })
  await settle(raw, true)
  await waitUntil(
    () => victim.book(MARKET).ordersOf(raw.publicKeyHex).length === 0,
    5_000,
    'the flood to leave',
  )
  t.regex(victim.banned().find((b) => b.publicKey === raw.publicKeyHex)?.reason ?? '', /rate-limited/)
  await honestStillWorks(t, raw.publicKeyHex)
})

test.serial('a banned identity cannot reconnect until the ban ends', async (t) => {
  const { raw, keyPair } = await hostile()
  const order = orderBy(keyPair)
  raw.send(victimKey, { type: 'orders', orders: [{ ...order, signature: new Uint8Array(64) }] })
  await settle(raw, true)
  const until = victim.banned().find((b) => b.publicKey === raw.publicKeyHex)?.until ?? 0
  await raw.close()
  // A fresh swarm with the banned identity dials straight in: the firewall refuses it.
  const again = await scene.raw(MARKET, { keyPair })
  again.dial(victim.publicKey)
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, until - Date.now() - 300)))
  t.is(again.channel(victimKey), undefined, 'refused while banned')
  t.false(victim.peers().some((p) => p.publicKey === raw.publicKeyHex))
  await again.close()
  // After the ban: the same identity is let in again and its valid orders count.
  await waitUntil(() => Date.now() > until, 5_000, 'the ban to end')
  const forgiven = await scene.raw(MARKET, { keyPair })
  forgiven.dial(victim.publicKey)
  await waitUntil(() => forgiven.channel(victimKey) !== undefined, 30_000, 'reconnection after the ban')
  forgiven.send(victimKey, { type: 'orders', orders: [order] })
  await victim.book(MARKET).waitFor((b) => b.has(orderIdHex(order)), 5_000)
  t.deepEqual(
    victim.banned().filter((b) => b.publicKey === raw.publicKeyHex),
    [],
  )
})

test.serial('whatever came before, the victim never crashed and keeps serving', async (t) => {
  await honestStillWorks(t, '00'.repeat(32))
  t.pass()
})
