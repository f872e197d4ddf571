import test from 'ava'
import fc from 'fast-check'
import { isSwarmswapError, type SwarmswapError } from '../../src/errors.js'
import type { SignedOrder } from '../../src/orderbook/types.js'
import type { WireMessage } from '../../src/p2p/messages.js'
import {
  chunkOrders,
  DEFAULT_MAX_MESSAGE_BYTES,
  decodeHandshake,
  decodeMessage,
  encodeHandshake,
  encodeMessage,
  MESSAGE_TYPES,
} from '../../src/p2p/wire.js'
import { takeAmountProblem, verifyTakeAcceptance, verifyTakeRequest } from '../../src/p2p/wire-take.js'
import { decodeVerdict, mutatedBytes, randomBytesAfter } from '../helpers/wire-fuzz.js'
import {
  acceptance,
  binding,
  market,
  order,
  orderWith,
  request,
  SAMPLES,
  terms,
} from '../helpers/wire-samples.js'

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
  for (const type of [0x00, 0x09, 0x7f, 0x80, 0xff]) {
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
  const bytes = fc.oneof(randomBytesAfter(Object.values(MESSAGE_TYPES)), mutatedBytes(seeds))
  fc.assert(
    fc.property(bytes, (input) => {
      const verdict = decodeVerdict(decodeMessage, encodeMessage, input)
      const outcome = verdict.kind === 'rejected' ? verdict.reason : verdict.kind
      counts.set(outcome, (counts.get(outcome) ?? 0) + 1)
      // fast-check shrinks the input and reports it with this message.
      if (verdict.kind === 'broken') throw new Error(verdict.why)
    }),
    { numRuns: 8000 },
  )
  const outcomes = [...counts.keys()]
  t.log(Object.fromEntries(counts))
  t.true(
    outcomes.every((o) => ['accepted', 'oversized', 'malformed', 'unknown-type', 'invalid'].includes(o)),
    outcomes.join(', '),
  )
})
