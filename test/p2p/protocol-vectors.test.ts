import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import test from 'ava'
import crypto from 'hypercore-crypto'
import { marketTopic } from '../../src/orderbook/market.js'
import {
  decodeOrderBody,
  encodeOrderBody,
  orderSigningMessage,
  signOrder,
} from '../../src/orderbook/order.js'
import type { Market, OrderBody } from '../../src/orderbook/types.js'
import type { ChannelHandshake, WireMessage } from '../../src/p2p/messages.js'
import { decodeHandshake, decodeMessage, encodeHandshake, encodeMessage } from '../../src/p2p/wire.js'
import {
  type TakeAcceptance,
  type TakeBinding,
  type TakeRequest,
  takeRequestDigest,
  takeTermsDigest,
  verifyTakeAcceptance,
  verifyTakeRequest,
} from '../../src/p2p/wire-take.js'

// The byte-level vectors of docs/PROTOCOL.md: every encoder must produce them, every decoder must read them.
const vectors = JSON.parse(
  readFileSync(new URL('../fixtures/protocol/vectors.json', import.meta.url), 'utf8'),
)

const BYTES = new Set([
  'maker',
  'taker',
  'nonce',
  'id',
  'signature',
  'requestId',
  'orderId',
  'hashlock',
  'btcPubkey',
  'ids',
  'handshakeHash',
  'swapId',
])
const BIGINTS = new Set([
  'amount',
  'minFill',
  'priceNum',
  'priceDen',
  'remaining',
  'baseAmount',
  'quoteAmount',
])

/** JSON (bytes as hex, amounts as decimal strings) to the protocol's objects; ping/pong nonces are u64 decimals. */
function fromJson(value: unknown, key = '', parentType?: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => fromJson(v, key, parentType))
  if (typeof value === 'string') {
    if (key === 'nonce' && (parentType === 'ping' || parentType === 'pong')) return BigInt(value)
    if (BIGINTS.has(key)) return BigInt(value)
    if (BYTES.has(key)) return Uint8Array.from(Buffer.from(value, 'hex'))
    return value
  }
  if (value !== null && typeof value === 'object') {
    const object = value as Record<string, unknown>
    return Object.fromEntries(Object.entries(object).map(([k, v]) => [k, fromJson(v, k, object.type)]))
  }
  return value
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')
const bytes = (text: string) => Uint8Array.from(Buffer.from(text, 'hex'))

test('the seed key pairs are the ed25519 keys of their seeds', (t) => {
  for (const key of Object.values(vectors.keys) as Array<{
    seed: string
    publicKey: string
    secretKey: string
  }>) {
    const pair = crypto.keyPair(bytes(key.seed))
    t.is(hex(pair.publicKey), key.publicKey)
    t.is(hex(pair.secretKey), key.secretKey)
  }
})

for (const vector of vectors.topics) {
  test(`topic of ${vector.market.network}:${vector.market.base}/${vector.market.quote} v${vector.version}`, (t) => {
    t.is(hex(createHash('sha256').update(bytes(vector.preimage)).digest()), vector.topic)
    t.is(hex(marketTopic(vector.market as Market, vector.version)), vector.topic)
  })
}

for (const vector of vectors.handshakes) {
  test(`handshake of ${vector.handshake.market.quote}`, (t) => {
    t.is(hex(encodeHandshake(vector.handshake as ChannelHandshake)), vector.hex)
    t.deepEqual(decodeHandshake(bytes(vector.hex)), vector.handshake)
  })
}

for (const [index, vector] of vectors.orders.entries()) {
  test(`order ${index}: body encoding, id, signing message and signature`, (t) => {
    const body = fromJson(vector.body) as OrderBody
    t.is(hex(encodeOrderBody(body)), vector.bodyHex)
    t.deepEqual(decodeOrderBody(bytes(vector.bodyHex)), body)
    t.is(hex(createHash('sha256').update(bytes(vector.bodyHex)).digest()), vector.id)
    t.is(hex(orderSigningMessage(bytes(vector.id))), vector.signingMessage)
    // ed25519 is deterministic: signing again with the seed key gives the same bytes.
    const signed = signOrder(body, bytes(vectors.keys.maker.secretKey))
    t.is(hex(signed.id), vector.id)
    t.is(hex(signed.signature), vector.signature)
    t.true(crypto.verify(bytes(vector.signingMessage), bytes(vector.signature), body.maker))
  })
}

for (const vector of vectors.messages) {
  test(`message ${vector.name}`, (t) => {
    const message = fromJson(vector.message) as WireMessage
    t.is(hex(encodeMessage(message)), vector.hex)
    t.deepEqual(decodeMessage(bytes(vector.hex)), message)
  })
}

test('take signatures: digests and both signatures verify under the binding, and only under it', (t) => {
  const binding = fromJson(vectors.take.binding) as TakeBinding
  const messageNamed = (name: string) =>
    fromJson(vectors.messages.find((m: { name: string }) => m.name === name).message) as WireMessage
  const request = messageNamed('take-request') as TakeRequest
  const response = messageNamed('take-response accepted') as TakeAcceptance
  t.is(hex(takeRequestDigest(request, binding)), vectors.take.requestDigest)
  t.is(hex(takeTermsDigest(request, response.terms, binding)), vectors.take.termsDigest)
  t.true(verifyTakeRequest(request, binding))
  t.true(verifyTakeAcceptance(request, response, binding))
  const otherConnection = { ...binding, handshakeHash: new Uint8Array(64) }
  t.false(verifyTakeRequest(request, otherConnection))
  t.false(verifyTakeAcceptance(request, response, otherConnection))
  const swapped = { ...binding, maker: binding.taker, taker: binding.maker }
  t.false(verifyTakeRequest(request, swapped))
  t.false(verifyTakeAcceptance(request, response, swapped))
})
