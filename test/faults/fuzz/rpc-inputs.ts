import fc from 'fast-check'
import { type MethodName, methods } from '../../../src/api/schemas.js'

/**
 * Request bodies for the daemon's JSON-RPC API: every real method with params that are overwhelmingly
 * invalid (wrong types, hostile strings, amounts with too many decimals, huge numbers, deep nesting,
 * missing and extra keys), unknown method names, broken envelopes (jsonrpc versions, ids of every type),
 * notifications, batches, and bodies that are not JSON at all. Each body is the bytes sent.
 */

const METHOD_NAMES = Object.keys(methods) as MethodName[]

const hex = (bytes: number) =>
  fc.uint8Array({ minLength: bytes, maxLength: bytes }).map((b) => Buffer.from(b).toString('hex'))
const digits = (max: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 1, maxLength: max })

/** Amount and price texts: the right form with too many decimals or digits, and near misses of it. */
const decimalText = fc.oneof(
  fc
    .tuple(digits(30), fc.option(fc.oneof(digits(25), fc.constant(''))))
    .map(([whole, fraction]) => (fraction === null ? whole : `${whole}.${fraction}`)),
  fc.constantFrom(
    '-1',
    '-0.5',
    '+1',
    '1e3',
    '0x10',
    '0',
    '0.0',
    '.',
    '.5',
    '5.',
    '00.1',
    '1.000000000000000000001',
    '0.000000001',
    ' 1',
    '1 ',
    '1,5',
    '1_000',
    '١',
    '１',
    'NaN',
    'Infinity',
    '9'.repeat(80),
    '9'.repeat(81),
  ),
  fc.string({ maxLength: 12 }),
)
const asset = fc.oneof(
  fc.constantFrom('BTC', 'ETH'),
  hex(20).map((h) => `ERC20:0x${h}`),
)

/** Values of the right type for each param name the methods have (many still fail their rules). */
const PARAM_VALUES: Record<string, fc.Arbitrary<unknown>> = {
  chain: fc.constantFrom('bitcoin', 'evm'),
  asset,
  base: asset,
  quote: asset,
  to: fc.oneof(
    hex(20).map((h) => `0x${h}`),
    fc.constantFrom('bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080', 'mkHS9ne12qx9pS9VojpwU5xtRd4T7X7ZUt'),
    fc.string({ maxLength: 120 }),
  ),
  amount: decimalText,
  price: decimalText,
  minFill: decimalText,
  side: fc.constantFrom('sell', 'buy'),
  depth: fc.integer({ min: -5, max: 2000 }),
  limit: fc.integer({ min: -5, max: 20_000 }),
  expiresIn: fc.integer({ min: -100, max: 3_000_000 }),
  orderId: hex(32),
  id: hex(32),
  active: fc.boolean(),
}

/** Nested arrays or objects, deeper than anything the API expects. */
const deep = fc.tuple(fc.integer({ min: 20, max: 1000 }), fc.boolean()).map(([depth, arrays]) => {
  let value: unknown = 0
  for (let i = 0; i < depth; i++) value = arrays ? [value] : { a: value }
  return value
})

/** Values of any type, weighted towards the ones that break parsers. */
const hostile: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.anything({ maxDepth: 2 }) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      1e308,
      -1e308,
      -1,
      -0,
      0,
      0.5,
      2 ** 53 + 2,
      1e21,
      true,
      false,
      null,
      [],
      {},
      '',
    ),
  },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: deep },
)
/** Now and then a long string (a few per thousand bodies: they cost the most to send and parse). */
const hostileOrLong = fc.oneof(
  { weight: 50, arbitrary: hostile },
  { weight: 1, arbitrary: fc.constant('x'.repeat(50_000)) },
)

const extraKey = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'network', 'market'),
  fc.string({ maxLength: 10 }),
)

/** An object of named params; `__proto__` made an own key, so it reaches the daemon's JSON.parse. */
function withKey(params: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
  const copy = { ...params }
  Object.defineProperty(copy, key, { value, enumerable: true, configurable: true, writable: true })
  return copy
}

function paramsFor(method: MethodName): fc.Arbitrary<unknown> {
  const keys = Object.keys(methods[method].params.shape)
  const fields = fc.record(
    Object.fromEntries(
      keys.map((key) => [key, fc.oneof(PARAM_VALUES[key] ?? hostileOrLong, hostileOrLong)] as const),
    ) as Record<string, fc.Arbitrary<unknown>>,
    { requiredKeys: [] },
  )
  const named = fc.oneof(
    { weight: 3, arbitrary: fields },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fields, extraKey, hostile)
        .map(([params, key, value]) => withKey(params, key, value)),
    },
  )
  return fc.oneof(
    { weight: 6, arbitrary: named },
    { weight: 2, arbitrary: fc.anything({ maxDepth: 3 }) },
    { weight: 1, arbitrary: fc.constantFrom(undefined, null, [], [1, 2], 'params', 7) },
  )
}

/** JSON-RPC ids: valid ones (string, number, null) and every other JSON type. */
const validId = fc.oneof(
  fc.integer(),
  fc.string({ maxLength: 20 }),
  fc.constant(null),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
)
const invalidId = fc.oneof(fc.boolean(), fc.array(fc.nat(), { maxLength: 3 }), fc.object({ maxDepth: 1 }))

const realCall = fc.oneof(
  ...METHOD_NAMES.map((method) =>
    fc.record({
      jsonrpc: fc.constant('2.0'),
      id: validId,
      method: fc.constant(method),
      params: paramsFor(method),
    }),
  ),
)

const methodName = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.constantFrom(
    '__proto__',
    'constructor',
    'toString',
    'hasOwnProperty',
    'valueOf',
    'rpc.discover',
    '',
    'node.info ',
    'Node.info',
    'node.info\u0000',
    'wallet.drain',
    'node.',
    'orders',
  ),
  fc.constantFrom(...METHOD_NAMES).map((m) => m.toUpperCase()),
)
const unknownMethod = fc.record({
  jsonrpc: fc.constant('2.0'),
  id: validId,
  method: methodName,
  params: fc.anything({ maxDepth: 2 }),
})

/** A real call with one part of its envelope broken. */
const brokenEnvelope = fc
  .tuple(
    realCall,
    fc.oneof(
      fc.record({ jsonrpc: fc.oneof(fc.constantFrom('1.0', 2, '2', null, '2.0 ', ' 2.0'), fc.anything()) }),
      fc.record({ method: fc.oneof(fc.integer(), fc.constant(null), fc.array(fc.string()), fc.object()) }),
      fc.record({ id: invalidId }),
      fc.record({ jsonrpc: fc.constant(undefined) }),
      fc.record({ method: fc.constant(undefined) }),
      fc.record({ result: fc.anything(), error: fc.anything() }),
    ),
  )
  .map(([call, breakage]) => ({ ...call, ...breakage }))

const notification = realCall.map(({ id: _id, ...call }) => call)

const jsonBody: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 14, arbitrary: realCall },
  { weight: 2, arbitrary: unknownMethod },
  { weight: 3, arbitrary: brokenEnvelope },
  { weight: 1, arbitrary: notification },
  {
    weight: 2,
    arbitrary: fc.array(
      fc.oneof(realCall, unknownMethod, brokenEnvelope, notification, fc.anything({ maxDepth: 1 })),
      { maxLength: 4 },
    ),
  },
  { weight: 1, arbitrary: fc.anything({ maxDepth: 2 }) },
)

const deepText = fc
  .integer({ min: 1000, max: 20_000 })
  .map((depth) => `${'['.repeat(depth)}${']'.repeat(depth)}`)

/** Bodies that are not JSON, or JSON cut short. */
const textBody = fc.oneof(
  fc.string({ maxLength: 200 }),
  realCall.chain((call) => {
    const text = JSON.stringify(call)
    return fc.nat({ max: Math.max(0, text.length - 1) }).map((end) => text.slice(0, end))
  }),
  fc.constantFrom(
    '',
    ' ',
    '{',
    '[',
    'NaN',
    "{'jsonrpc':'2.0'}",
    '{"jsonrpc":"2.0",}',
    '{"jsonrpc":"2.0","id":1,"method":"node.info"}garbage',
    '\ufeff{"jsonrpc":"2.0","id":1,"method":"node.info"}',
    '{"jsonrpc":"2.0","id":1e400,"method":"node.info"}',
  ),
  deepText,
)

export const rpcBody: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 9, arbitrary: jsonBody.map((value) => utf8(JSON.stringify(value) ?? '')) },
  { weight: 1, arbitrary: textBody.map(utf8) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }) },
)

function utf8(text: string): Uint8Array {
  return Uint8Array.from(Buffer.from(text, 'utf8'))
}

/** A call that was cut off: how much of it reaches the daemon before the client goes away. */
export interface CutOff {
  body: string
  /** Bytes of the body sent before the connection is destroyed. */
  sent: number
  framing: 'content-length' | 'chunked' | 'whole-then-gone'
}

export const cutOff: fc.Arbitrary<CutOff> = realCall.chain((call) => {
  const body = JSON.stringify(call)
  return fc.record({
    body: fc.constant(body),
    sent: fc.nat({ max: body.length - 1 }),
    framing: fc.constantFrom('content-length' as const, 'chunked' as const, 'whole-then-gone' as const),
  })
})
