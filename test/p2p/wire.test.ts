import { randomBytes } from 'node:crypto'
import test from 'ava'
import crypto from 'hypercore-crypto'
import { isSwarmswapError, type SwarmswapError } from '../../src/errors.js'
import { signOrder } from '../../src/orderbook/order.js'
import type { Market, OrderBody, SignedOrder } from '../../src/orderbook/types.js'
import type { PartyKeys, TakeTerms, WireMessage } from '../../src/p2p/messages.js'
import {
  chunkOrders,
  DEFAULT_MAX_MESSAGE_BYTES,
  decodeHandshake,
  decodeMessage,
  encodeHandshake,
  encodeMessage,
  MESSAGE_TYPES,
} from '../../src/p2p/wire.js'
import {
  acceptTakeRequest,
  signTakeRequest,
  type TakeBinding,
  takeAmountProblem,
  verifyTakeAcceptance,
  verifyTakeRequest,
} from '../../src/p2p/wire-take.js'

const keyPair = (seed: number) => {
  const pair = crypto.keyPair(new Uint8Array(32).fill(seed))
  return { publicKey: Uint8Array.from(pair.publicKey), secretKey: Uint8Array.from(pair.secretKey) }
}
const maker = keyPair(1)
const taker = keyPair(2)
const market: Market = { network: 'regtest', base: 'BTC', quote: 'ETH' }
const body: OrderBody = {
  version: 1,
  market,
  side: 'sell',
  amount: 150_000_000n,
  minFill: 10_000_000n,
  priceNum: 15n,
  priceDen: 1n,
  expiry: 1_800_003_600,
  createdAt: 1_800_000_000_000,
  maker: maker.publicKey,
  nonce: new Uint8Array(16).fill(7),
}
const order = signOrder(body, maker.secretKey)
const orderWith = (i: number): SignedOrder =>
  signOrder(
    { ...body, nonce: Uint8Array.from(randomBytes(16)), amount: BigInt(i + 1) * 1000n, minFill: 1n },
    maker.secretKey,
  )

const binding: TakeBinding = {
  handshakeHash: new Uint8Array(64).fill(9),
  maker: maker.publicKey,
  taker: taker.publicKey,
}
const partyKeys = (prefix: number, fill: number): PartyKeys => ({
  btcPubkey: Uint8Array.from([prefix, ...new Uint8Array(32).fill(fill)]),
  evmAddress: `0x${'ab'.repeat(19)}${fill.toString(16).padStart(2, '0')}`,
})
const request = signTakeRequest(
  { requestId: new Uint8Array(16).fill(3), orderId: order.id, amount: 50_000_000n, taker: partyKeys(2, 4) },
  binding,
  taker.secretKey,
)
const terms: TakeTerms = {
  orderId: order.id,
  baseAmount: 50_000_000n,
  quoteAmount: 750_000_000n,
  hashlock: new Uint8Array(32).fill(5),
  makerDeadline: 1_800_007_200,
  takerDeadline: 1_800_003_600,
  maker: partyKeys(3, 6),
  taker: partyKeys(2, 4),
  btcConfirmations: 1,
  evmConfirmations: 2,
}
const acceptance = acceptTakeRequest(request, terms, binding, maker.secretKey)

const SAMPLES: WireMessage[] = [
  { type: 'orders', orders: [order] },
  { type: 'orders', orders: [order, orderWith(1), orderWith(2)] },
  { type: 'cancel', ids: [order.id] },
  { type: 'update', id: order.id, remaining: 0n },
  { type: 'update', id: order.id, remaining: 99n },
  { type: 'ping', nonce: 0n },
  { type: 'pong', nonce: (1n << 64n) - 1n },
  request,
  acceptance,
  { type: 'take-response', requestId: request.requestId, accepted: false, reason: 'order-gone' },
]

type Reason = 'oversized' | 'malformed' | 'unknown-type' | 'invalid' | 'version'

function rejection(fn: () => unknown): Reason | 'accepted' | 'foreign-error' {
  try {
    fn()
    return 'accepted'
  } catch (error) {
    return isSwarmswapError(error, 'BAD_DATA')
      ? ((error as SwarmswapError).details.reason as Reason)
      : 'foreign-error'
  }
}

for (const [index, message] of SAMPLES.entries()) {
  test(`round trip: sample ${index} (${message.type})`, (t) => {
    const bytes = encodeMessage(message)
    t.is(bytes[0], MESSAGE_TYPES[message.type])
    t.deepEqual(decodeMessage(bytes), message)
    t.deepEqual(encodeMessage(decodeMessage(bytes)), bytes)
  })

  test(`decoding from a Buffer gives plain bytes that do not alias it: sample ${index} (${message.type})`, (t) => {
    const received = Buffer.from(encodeMessage(message))
    const decoded = decodeMessage(received)
    t.deepEqual(decoded, message)
    received.fill(0)
    t.deepEqual(decoded, message)
  })

  test(`every truncation and any trailing byte is malformed: sample ${index} (${message.type})`, (t) => {
    const bytes = encodeMessage(message)
    for (let end = 0; end < bytes.byteLength; end++) {
      t.is(
        rejection(() => decodeMessage(bytes.subarray(0, end))),
        'malformed',
        `cut at ${end}`,
      )
    }
    t.is(
      rejection(() => decodeMessage(Uint8Array.from([...bytes, 0]))),
      'malformed',
    )
  })
}

test('the size cap is checked before anything is decoded', (t) => {
  const bytes = encodeMessage({ type: 'orders', orders: [order] })
  t.is(
    rejection(() => decodeMessage(bytes, { maxMessageBytes: bytes.byteLength - 1 })),
    'oversized',
  )
  t.is(
    rejection(() => decodeMessage(bytes, { maxMessageBytes: bytes.byteLength })),
    'accepted',
  )
  // Garbage over the cap is 'oversized', not 'malformed': nothing was read.
  t.is(
    rejection(() => decodeMessage(new Uint8Array(DEFAULT_MAX_MESSAGE_BYTES + 1).fill(0xff))),
    'oversized',
  )
  t.is(
    rejection(() => decodeMessage(new Uint8Array(DEFAULT_MAX_MESSAGE_BYTES).fill(0xff))),
    'unknown-type',
  )
})

test('unknown message types', (t) => {
  for (const type of [0x00, 0x08, 0x7f, 0x80, 0xff]) {
    t.is(
      rejection(() => decodeMessage(Uint8Array.from([type, 1, 2, 3]))),
      'unknown-type',
      `type ${type}`,
    )
  }
  t.is(
    rejection(() => decodeMessage(new Uint8Array(0))),
    'malformed',
  )
})

test('non-canonical encodings are malformed: a padded varint, an over-long count', (t) => {
  const cancel = encodeMessage({ type: 'cancel', ids: [order.id] })
  // count 1 written as 0xfd 0x01 0x00 instead of 0x01
  const padded = Uint8Array.from([cancel[0] ?? 0, 0xfd, 0x01, 0x00, ...cancel.subarray(2)])
  t.is(
    rejection(() => decodeMessage(padded)),
    'malformed',
  )
  const claimsTwo = Uint8Array.from(cancel)
  claimsTwo[1] = 2
  t.is(
    rejection(() => decodeMessage(claimsTwo)),
    'malformed',
  )
  const claimsHuge = Uint8Array.from([cancel[0] ?? 0, 0xfe, 0xff, 0xff, 0xff, 0xff, ...cancel.subarray(2)])
  t.is(
    rejection(() => decodeMessage(claimsHuge)),
    'malformed',
  )
})

/** An `orders` message of one order with raw field values (strings for amounts), bypassing every check. */
function rawOrdersMessage(changes: Record<string, unknown>): Uint8Array {
  return rawBody({ ...order, ...changes } as SignedOrder)
}

function rawBody(forged: SignedOrder): Uint8Array {
  const text = (s: string) => [s.length, ...Buffer.from(s, 'latin1')]
  const uint = (n: number) =>
    n <= 0xfc
      ? [n]
      : n <= 0xffffffff
        ? [0xfe, ...u32(n)]
        : [0xff, ...u32(n % 2 ** 32), ...u32(Math.floor(n / 2 ** 32))]
  const u32 = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff]
  const f = forged as unknown as Record<string, unknown>
  return Uint8Array.from([
    MESSAGE_TYPES.orders,
    1,
    ...uint(Number(f.version)),
    ...text(forged.market.network),
    ...text(forged.market.base),
    ...text(forged.market.quote),
    forged.side === 'sell' ? 0 : forged.side === 'buy' ? 1 : Number(forged.side),
    ...text(String(f.amount)),
    ...text(String(f.minFill)),
    ...text(String(f.priceNum)),
    ...text(String(f.priceDen)),
    ...uint(forged.expiry),
    ...uint(forged.createdAt),
    ...forged.maker,
    ...forged.nonce,
    ...forged.signature,
  ])
}

test('the raw order writer reproduces the real encoding (so the cases below test what they say)', (t) => {
  t.deepEqual(rawBody(order), encodeMessage({ type: 'orders', orders: [order] }))
})

const INVALID_ORDER_FIELDS: Array<[string, Record<string, unknown>]> = [
  ['zero amount', { amount: '0' }],
  ['negative amount', { amount: '-150000000' }],
  ['float-looking amount', { amount: '1.5' }],
  ['exponent amount', { amount: '15e7' }],
  ['leading-zero amount', { amount: '0150000000' }],
  ['79-digit amount', { amount: '1'.repeat(79) }],
  ['amount of 2^256', { amount: (1n << 256n).toString() }],
  ['amount with a space', { amount: ' 150000000' }],
  ['zero minFill', { minFill: '0' }],
  ['zero priceNum', { priceNum: '0' }],
  ['leading-zero priceDen', { priceDen: '01' }],
  ['side tag 2', { side: 2 }],
  ['lower-case asset', { market: { ...market, base: 'btc' } }],
  ['base equals quote', { market: { ...market, quote: 'BTC' } }],
  ['unknown network', { market: { ...market, network: 'signet' } }],
  ['expiry beyond uint32', { expiry: 2 ** 32 }],
]

for (const [name, changes] of INVALID_ORDER_FIELDS) {
  test(`an order on the wire with a ${name} is invalid`, (t) => {
    t.is(
      rejection(() => decodeMessage(rawOrdersMessage(changes))),
      'invalid',
    )
  })
}

test('an order of another version cannot be read: the message is invalid', (t) => {
  t.is(
    rejection(() => decodeMessage(rawOrdersMessage({ version: 2 }))),
    'invalid',
  )
})

test('a decoded order carries the id of its body', (t) => {
  const decoded = decodeMessage(encodeMessage({ type: 'orders', orders: [order] }))
  t.is(decoded.type, 'orders')
  if (decoded.type === 'orders') t.deepEqual(decoded.orders[0]?.id, order.id)
  // The id does not travel (the receiver hashes the body it got), so a stale one is the sender's bug.
  const error = t.throws(() =>
    encodeMessage({ type: 'orders', orders: [{ ...order, id: new Uint8Array(32) }] }),
  )
  t.true(isSwarmswapError(error, 'INVALID_ARGUMENT'))
})

const INVALID_MESSAGES: Array<[string, WireMessage]> = [
  ['an empty orders list', { type: 'orders', orders: [] }],
  ['an empty cancel list', { type: 'cancel', ids: [] }],
  ['a negative remainder', { type: 'update', id: order.id, remaining: -1n }],
  ['a ping nonce beyond u64', { type: 'ping', nonce: 1n << 64n }],
  ['a take of 0', { ...request, amount: 0n }],
  [
    'an uncompressed-looking btc key',
    { ...request, taker: { ...request.taker, btcPubkey: new Uint8Array(33).fill(4) } },
  ],
  [
    'a checksummed EVM address',
    { ...request, taker: { ...request.taker, evmAddress: `0x${'AB'.repeat(20)}` } },
  ],
  ['the zero EVM address', { ...request, taker: { ...request.taker, evmAddress: `0x${'00'.repeat(20)}` } }],
  ['a fractional deadline', { ...acceptance, terms: { ...terms, takerDeadline: 1_800_003_600.5 } }],
  [
    'a maker deadline before the taker deadline',
    { ...acceptance, terms: { ...terms, makerDeadline: 1_800_000_000 } },
  ],
  ['a zero quote amount', { ...acceptance, terms: { ...terms, quoteAmount: 0n } }],
  ['too many confirmations', { ...acceptance, terms: { ...terms, btcConfirmations: 1001 } }],
  [
    'a free-text refusal',
    { type: 'take-response', requestId: request.requestId, accepted: false, reason: 'No thanks!' },
  ],
  ['an empty refusal', { type: 'take-response', requestId: request.requestId, accepted: false, reason: '' }],
]

for (const [name, message] of INVALID_MESSAGES) {
  test(`encodeMessage refuses ${name}`, (t) => {
    const error = t.throws(() => encodeMessage(message))
    t.true(isSwarmswapError(error, 'INVALID_ARGUMENT'), String(error))
  })
}

test('a take-response flag other than 0 or 1 is invalid', (t) => {
  const bytes = encodeMessage({
    type: 'take-response',
    requestId: request.requestId,
    accepted: false,
    reason: 'busy',
  })
  const flagged = Uint8Array.from(bytes)
  flagged[17] = 2
  t.is(
    rejection(() => decodeMessage(flagged)),
    'invalid',
  )
})

test('handshakes: round trip, foreign version, bad market, size cap, trailing bytes', (t) => {
  const bytes = encodeHandshake({ version: 1, market })
  t.deepEqual(decodeHandshake(bytes), { version: 1, market })
  t.is(
    rejection(() => decodeHandshake(Uint8Array.from([2, ...bytes.subarray(1)]))),
    'version',
  )
  t.is(
    rejection(() => decodeHandshake(Uint8Array.from([2]))),
    'version',
  )
  t.is(
    rejection(() =>
      decodeHandshake(
        Uint8Array.from([
          1,
          7,
          ...Buffer.from('regtest'),
          3,
          ...Buffer.from('BTC'),
          3,
          ...Buffer.from('BTC'),
        ]),
      ),
    ),
    'invalid',
  )
  t.is(
    rejection(() => decodeHandshake(bytes, { maxMessageBytes: 4 })),
    'oversized',
  )
  t.is(
    rejection(() => decodeHandshake(Uint8Array.from([...bytes, 0]))),
    'malformed',
  )
  t.is(
    rejection(() => decodeHandshake(new Uint8Array(0))),
    'malformed',
  )
})

test('chunkOrders splits a large snapshot into messages under the cap, in order', (t) => {
  const orders = Array.from({ length: 700 }, (_, i) => orderWith(i))
  const chunks = chunkOrders(orders, DEFAULT_MAX_MESSAGE_BYTES)
  t.true(chunks.length > 1)
  t.deepEqual(
    chunks.flatMap((c) => c.orders),
    orders,
  )
  for (const chunk of chunks) {
    const bytes = encodeMessage(chunk)
    t.true(bytes.byteLength <= DEFAULT_MAX_MESSAGE_BYTES)
    t.is(
      rejection(() => decodeMessage(bytes)),
      'accepted',
    )
  }
  // Tight: each chunk but the last could not take one more order.
  const first = chunks[0]
  const next = chunks[1]?.orders[0]
  if (first && next) {
    t.true(
      encodeMessage({ type: 'orders', orders: [...first.orders, next] }).byteLength >
        DEFAULT_MAX_MESSAGE_BYTES,
    )
  }
  t.deepEqual(chunkOrders([]), [])
  const error = t.throws(() => chunkOrders([order], 100))
  t.true(isSwarmswapError(error, 'INVALID_ARGUMENT'))
})

test('take signatures bind the request and the terms to both identities and the connection', (t) => {
  t.true(verifyTakeRequest(request, binding))
  t.true(verifyTakeAcceptance(request, acceptance, binding))
  t.false(verifyTakeRequest({ ...request, amount: request.amount + 1n }, binding))
  t.false(verifyTakeAcceptance(request, { ...acceptance, terms: { ...terms, quoteAmount: 1n } }, binding))
  t.false(verifyTakeAcceptance({ ...request, requestId: new Uint8Array(16) }, acceptance, binding))
  t.false(verifyTakeRequest(request, { ...binding, handshakeHash: new Uint8Array(64) }))
  t.false(verifyTakeRequest({ ...request, signature: new Uint8Array(3) }, binding))
})

test('takeAmountProblem: within minFill .. remaining, the remainder always takeable, quote never 0', (t) => {
  const o = { side: 'buy' as const, minFill: 100n, priceNum: 1n, priceDen: 1000n }
  t.is(takeAmountProblem(o, 5000n, 1000n), null)
  t.is(takeAmountProblem(o, 5000n, 5001n), 'amount-above-remaining')
  t.is(takeAmountProblem(o, 5000n, 99n), 'amount-below-min-fill')
  t.is(takeAmountProblem(o, 5000n, 0n), 'amount-below-min-fill')
  t.is(takeAmountProblem({ ...o, minFill: 1n }, 5000n, 999n), 'quote-rounds-to-zero')
  t.is(takeAmountProblem({ ...o, priceNum: 1000n }, 50n, 50n), null)
})

test('fuzz: random and mutated bytes only ever give BAD_DATA or a valid message', (t) => {
  const seeds = SAMPLES.map((m) => encodeMessage(m))
  const counts = new Map<string, number>()
  const check = (bytes: Uint8Array) => {
    let outcome: string
    try {
      const message = decodeMessage(bytes)
      // Whatever is accepted is canonical: it re-encodes to the same bytes.
      outcome = Buffer.compare(encodeMessage(message), bytes) === 0 ? 'accepted' : 'non-canonical accepted'
    } catch (error) {
      outcome = isSwarmswapError(error, 'BAD_DATA')
        ? String((error as SwarmswapError).details.reason)
        : `threw ${error}`
    }
    counts.set(outcome, (counts.get(outcome) ?? 0) + 1)
  }
  for (let i = 0; i < 2000; i++) check(Uint8Array.from(randomBytes(Math.floor(Math.random() * 300))))
  for (let i = 0; i < 3000; i++) {
    const seed = seeds[i % seeds.length] ?? new Uint8Array(0)
    const bytes = Uint8Array.from(seed)
    for (let flips = 1 + Math.floor(Math.random() * 3); flips > 0; flips--) {
      bytes[Math.floor(Math.random() * bytes.byteLength)] = Math.floor(Math.random() * 256)
    }
    check(bytes)
    check(
      Uint8Array.from([...seed.subarray(0, Math.floor(Math.random() * seed.byteLength)), ...randomBytes(8)]),
    )
  }
  const outcomes = [...counts.keys()]
  t.log(Object.fromEntries(counts))
  t.true(
    outcomes.every((o) => ['accepted', 'oversized', 'malformed', 'unknown-type', 'invalid'].includes(o)),
    outcomes.join(', '),
  )
})
