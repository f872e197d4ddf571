import { readFileSync } from 'node:fs'
import test from 'ava'
import crypto from 'hypercore-crypto'
import { isSwarmswapError } from '../../src/errors.js'
import {
  type CreateOrderParams,
  comparePrice,
  createOrder,
  decodeOrderBody,
  encodeOrderBody,
  orderId,
  orderIdHex,
  positiveDecimalSchema,
  quoteForBase,
  signOrder,
  validateOrder,
  verifyOrderSignature,
} from '../../src/orderbook/order.js'
import type { Market, OrderBody, SignedOrder } from '../../src/orderbook/types.js'

const fixtures = JSON.parse(
  readFileSync(new URL('../fixtures/protocol/orders.json', import.meta.url), 'utf8'),
)
const NOW: number = fixtures.now
const maker = keyPairOf(fixtures.makerSeed)
const other = keyPairOf(fixtures.otherSeed)

/** Plain Uint8Arrays (not Buffers), like decoded orders carry, so deep equality compares bytes. */
function keyPairOf(seedHex: string) {
  const pair = crypto.keyPair(Buffer.from(seedHex, 'hex'))
  return { publicKey: Uint8Array.from(pair.publicKey), secretKey: Uint8Array.from(pair.secretKey) }
}

const AMOUNTS = new Set(['amount', 'minFill', 'priceNum', 'priceDen'])
const BYTES = new Set(['nonce', 'maker', 'id', 'signature'])

/** Fixture JSON values to code values: decimal strings to bigint (a JSON number stays a number), hex to bytes. */
function fromJson(changes: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(changes).map(([key, value]) => {
      if (AMOUNTS.has(key) && typeof value === 'string') return [key, BigInt(value)]
      if (BYTES.has(key) && typeof value === 'string')
        return [key, Uint8Array.from(Buffer.from(value, 'hex'))]
      return [key, value]
    }),
  )
}

const baseBody: OrderBody = {
  version: 1,
  maker: maker.publicKey,
  ...(fromJson(fixtures.base) as object),
} as OrderBody
const baseOrder = signOrder(baseBody, maker.secretKey)

interface OrderCase {
  description: string
  changes: Record<string, unknown>
  resign?: boolean
  flipSignatureBit?: boolean
  contextMarket?: Market
  reason?: string
}

function orderOf(c: OrderCase): SignedOrder {
  const changed = { ...baseOrder, ...fromJson(c.changes) } as SignedOrder
  if (c.flipSignatureBit) {
    const signature = changed.signature.slice()
    signature[10] = (signature[10] ?? 0) ^ 0x01
    return { ...changed, signature }
  }
  return c.resign === false ? changed : { ...changed, ...signOrder(changed, maker.secretKey) }
}

for (const c of fixtures.valid as OrderCase[]) {
  test(`valid order: ${c.description}`, (t) => {
    const order = orderOf(c)
    t.notThrows(() => validateOrder(order, { now: NOW, market: order.market }))
    t.true(verifyOrderSignature(order))
    t.deepEqual(orderId(order), order.id)
    t.deepEqual(decodeOrderBody(encodeOrderBody(order)), orderBody(order))
  })
}

for (const c of fixtures.invalid as OrderCase[]) {
  test(`invalid order (${c.reason}): ${c.description}`, (t) => {
    const order = orderOf(c)
    const context = c.contextMarket ? { now: NOW, market: c.contextMarket } : { now: NOW }
    const error = t.throws(() => validateOrder(order, context))
    t.true(isSwarmswapError(error, 'BAD_DATA'), String(error))
    t.is((error as { details?: { reason?: unknown } }).details?.reason, c.reason)
  })
}

test('validateOrder accepts a wider lifetime when the limits allow it', (t) => {
  const longLived = { ...baseBody, createdAt: NOW, expiry: NOW / 1000 + 40 * 86400 }
  const order = signOrder(longLived, maker.secretKey)
  t.throws(() => validateOrder(order, { now: NOW }))
  t.notThrows(() => validateOrder(order, { now: NOW, limits: { maxLifetimeMs: 60 * 86400_000 } }))
})

const createParams: CreateOrderParams = {
  market: baseBody.market,
  side: baseBody.side,
  amount: baseBody.amount,
  minFill: baseBody.minFill,
  priceNum: baseBody.priceNum,
  priceDen: baseBody.priceDen,
  expiry: baseBody.expiry,
  createdAt: baseBody.createdAt,
  nonce: baseBody.nonce,
}

test('createOrder signs exactly the body it was given', (t) => {
  const order = createOrder(createParams, maker, { now: NOW })
  t.deepEqual(order, baseOrder)
  t.notThrows(() => validateOrder(order, { now: NOW, market: baseBody.market }))
})

test('createOrder fills createdAt from the clock and a fresh random nonce', (t) => {
  const { createdAt: _, nonce: __, ...params } = createParams
  const expiry = Math.floor(Date.now() / 1000) + 3600
  const before = Date.now()
  const a = createOrder({ ...params, expiry }, maker)
  const b = createOrder({ ...params, expiry }, maker)
  t.true(a.createdAt >= before && a.createdAt <= Date.now())
  t.is(a.nonce.byteLength, 16)
  t.notDeepEqual(a.nonce, b.nonce)
  t.not(orderIdHex(a), orderIdHex(b))
})

for (const c of fixtures.createInvalid as Array<OrderCase & { field: string; otherPublicKey?: boolean }>) {
  test(`createOrder rejects ${c.description} (field ${c.field})`, (t) => {
    const params = { ...createParams, ...fromJson(c.changes) } as CreateOrderParams
    const keyPair = c.otherPublicKey ? { publicKey: other.publicKey, secretKey: maker.secretKey } : maker
    const error = t.throws(() => createOrder(params, keyPair, { now: NOW }))
    t.true(isSwarmswapError(error, 'INVALID_ARGUMENT'), String(error))
    t.is((error as { details?: { field?: unknown } }).details?.field, c.field)
  })
}

test('wire amounts: only canonical positive decimals below 2^256 parse', (t) => {
  for (const text of fixtures.wireAmounts.valid as string[]) {
    const parsed = positiveDecimalSchema.safeParse(text)
    t.true(parsed.success, text)
    t.is(parsed.data?.toString(), text)
  }
  for (const text of fixtures.wireAmounts.invalid as string[]) {
    t.false(positiveDecimalSchema.safeParse(text).success, JSON.stringify(text))
  }
})

test('encodeOrderBody is deterministic and rejects a body no peer would accept', (t) => {
  t.deepEqual(encodeOrderBody(baseBody), encodeOrderBody({ ...baseBody }))
  const error = t.throws(() => encodeOrderBody({ ...baseBody, amount: -1n }))
  t.true(isSwarmswapError(error, 'INVALID_ARGUMENT'))
  t.is((error as { details?: { field?: unknown } }).details?.field, 'amount')
})

test('decodeOrderBody rejects trailing bytes, truncation and a foreign version with BAD_DATA', (t) => {
  const bytes = encodeOrderBody(baseBody)
  const reasonOf = (input: Uint8Array) => {
    const error = t.throws(() => decodeOrderBody(input))
    t.true(isSwarmswapError(error, 'BAD_DATA'))
    return (error as { details?: { reason?: unknown } }).details?.reason
  }
  t.is(reasonOf(Uint8Array.from([...bytes, 0])), 'malformed')
  t.is(reasonOf(bytes.subarray(0, bytes.byteLength - 1)), 'malformed')
  t.is(reasonOf(Uint8Array.from([2, ...bytes.subarray(1)])), 'version')
})

test('verifyOrderSignature never throws on a malformed order', (t) => {
  t.false(verifyOrderSignature({ ...baseOrder, signature: new Uint8Array(3) }))
  t.false(verifyOrderSignature({ ...baseOrder, maker: new Uint8Array(5) }))
  t.false(verifyOrderSignature({ ...baseOrder, amount: -5n }))
  t.false(verifyOrderSignature({ ...baseOrder, id: new Uint8Array(32) }))
})

test('orderIdHex names an order by its id', (t) => {
  t.is(orderIdHex(baseOrder), Buffer.from(baseOrder.id).toString('hex'))
  t.is(orderIdHex(baseOrder.id), orderIdHex(baseOrder))
  t.is(orderIdHex(baseOrder.id.subarray(0, 2)), Buffer.from(baseOrder.id.subarray(0, 2)).toString('hex'))
})

// quoteForBase rounds in the maker's favour: up when the maker receives quote (sell), down when it pays (buy).
const QUOTES: Array<[string, bigint, bigint, bigint, bigint]> = [
  // side, priceNum, priceDen, base, expected quote
  ['sell', 15n, 1n, 100n, 1500n],
  ['buy', 15n, 1n, 100n, 1500n],
  ['sell', 1n, 3n, 10n, 4n],
  ['buy', 1n, 3n, 10n, 3n],
  ['sell', 2n, 3n, 3n, 2n],
  ['buy', 2n, 3n, 3n, 2n],
  ['sell', 1n, 1000n, 1n, 1n],
  ['buy', 1n, 1000n, 1n, 0n],
  ['sell', (1n << 256n) - 1n, 1n, (1n << 256n) - 1n, ((1n << 256n) - 1n) ** 2n],
]

for (const [side, priceNum, priceDen, base, quote] of QUOTES) {
  test(`quoteForBase ${side} ${base} at ${priceNum}/${priceDen} = ${quote}`, (t) => {
    t.is(quoteForBase({ side: side as 'sell' | 'buy', priceNum, priceDen }, base), quote)
  })
}

test('quoteForBase rejects a non-positive base amount', (t) => {
  const error = t.throws(() => quoteForBase(baseBody, 0n))
  t.true(isSwarmswapError(error, 'INVALID_ARGUMENT'))
})

test('comparePrice compares ratios exactly, without division', (t) => {
  t.is(comparePrice({ priceNum: 1n, priceDen: 2n }, { priceNum: 2n, priceDen: 4n }), 0)
  t.true(comparePrice({ priceNum: 1n, priceDen: 3n }, { priceNum: 1n, priceDen: 2n }) < 0)
  const huge = (1n << 255n) + 1n
  t.true(
    comparePrice({ priceNum: huge, priceDen: huge - 1n }, { priceNum: huge - 1n, priceDen: huge - 2n }) < 0,
  )
})

function orderBody(order: SignedOrder): OrderBody {
  const { id: _, signature: __, ...body } = order
  return body
}
