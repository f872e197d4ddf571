import { createHash } from 'node:crypto'
import c, { type Encoding, type State } from 'compact-encoding'
import { z } from 'zod'
import { isSwarmswapError, SwarmswapError } from '../errors.js'
import { marketEncoding, marketSchema, PROTOCOL_VERSION } from '../orderbook/market.js'
import {
  bytesSchema,
  decimalSchema,
  orderId,
  rawOrderBodyEncoding,
  signedOrderSchema,
  wireOrderSchema,
} from '../orderbook/order.js'
import type { SignedOrder } from '../orderbook/types.js'
import type { ChannelHandshake, WireMessage } from './messages.js'
import { badData, bytesEqual, firstDifference, fixedBytes, fromBytes, toBytes } from './wire-codec.js'
import {
  takeRequestEncoding,
  takeRequestSchema,
  takeResponseEncoding,
  takeResponseSchema,
} from './wire-take.js'

/**
 * The order book wire protocol's framing (docs/PROTOCOL.md): one protomux message type per channel whose
 * payload is `[type: u8][body]`. Decoding checks the size cap first, then the bytes, then the values
 * (zod), then that re-encoding gives the same bytes, so every accepted message has one encoding.
 */

export { PROTOCOL_VERSION }
export const PROTOCOL_NAME = 'swarmswap/orderbook'
/** Default cap on one message (and one handshake), checked before decoding. */
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024

export const MESSAGE_TYPES = {
  orders: 0x01,
  cancel: 0x02,
  update: 0x03,
  ping: 0x04,
  pong: 0x05,
  'take-request': 0x06,
  'take-response': 0x07,
  nudge: 0x08,
} as const satisfies Record<WireMessage['type'], number>

type MessageOf<T extends WireMessage['type']> = Extract<WireMessage, { type: T }>

const id32 = fixedBytes(32)
const signature64 = fixedBytes(64)

/** One order on the wire: its body, then the maker's signature. The id is not sent: it is the body's hash. */
const signedOrderEncoding = {
  preencode(state: State, o: SignedOrder): void {
    rawOrderBodyEncoding.preencode(state, o)
    signature64.preencode(state, o.signature)
  },
  encode(state: State, o: SignedOrder): void {
    rawOrderBodyEncoding.encode(state, o)
    signature64.encode(state, o.signature)
  },
  decode(state: State) {
    const start = state.start
    const body = rawOrderBodyEncoding.decode(state)
    const received = state.buffer?.subarray(start, state.start) ?? new Uint8Array(0)
    // The hash of the bytes as received; the canonical check later proves they are the body's encoding.
    const id = Uint8Array.from(createHash('sha256').update(received).digest())
    return { order: { ...body, signature: signature64.decode(state) }, id }
  },
}

/** uint count, then the items; decoding never allocates ahead of the bytes it reads. */
function list<T, D>(item: Encoding<T, D>): Encoding<T[], D[]> {
  return {
    preencode(state, items) {
      c.uint.preencode(state, items.length)
      for (const x of items) item.preencode(state, x)
    },
    encode(state, items) {
      c.uint.encode(state, items.length)
      for (const x of items) item.encode(state, x)
    },
    decode(state) {
      const count = c.uint.decode(state)
      const items: D[] = []
      for (let i = 0; i < count; i++) items.push(item.decode(state))
      return items
    },
  }
}

const orderList = list(signedOrderEncoding)
const idList = list(id32)
const nonceEncoding = c.biguint64

/** The body layout of each message type (values unvalidated on decode). */
const BODY_ENCODINGS: { [T in WireMessage['type']]: Encoding<MessageOf<T>, unknown> } = {
  orders: {
    preencode: (state, m) => orderList.preencode(state, m.orders),
    encode: (state, m) => orderList.encode(state, m.orders),
    decode: (state) => ({ type: 'orders', orders: orderList.decode(state) }),
  },
  cancel: {
    preencode: (state, m) => idList.preencode(state, m.ids),
    encode: (state, m) => idList.encode(state, m.ids),
    decode: (state) => ({ type: 'cancel', ids: idList.decode(state) }),
  },
  update: {
    preencode(state, m) {
      id32.preencode(state, m.id)
      c.string.preencode(state, m.remaining.toString())
    },
    encode(state, m) {
      id32.encode(state, m.id)
      c.string.encode(state, m.remaining.toString())
    },
    decode: (state) => ({ type: 'update', id: id32.decode(state), remaining: c.string.decode(state) }),
  },
  ping: {
    preencode: (state, m) => nonceEncoding.preencode(state, m.nonce),
    encode: (state, m) => nonceEncoding.encode(state, m.nonce),
    decode: (state) => ({ type: 'ping', nonce: nonceEncoding.decode(state) }),
  },
  pong: {
    preencode: (state, m) => nonceEncoding.preencode(state, m.nonce),
    encode: (state, m) => nonceEncoding.encode(state, m.nonce),
    decode: (state) => ({ type: 'pong', nonce: nonceEncoding.decode(state) }),
  },
  'take-request': takeRequestEncoding,
  'take-response': takeResponseEncoding,
  nudge: {
    preencode: (state, m) => id32.preencode(state, m.swapId),
    encode: (state, m) => id32.encode(state, m.swapId),
    decode: (state) => ({ type: 'nudge', swapId: id32.decode(state) }),
  },
}

const TYPE_NAMES = new Map<number, WireMessage['type']>(
  Object.entries(MESSAGE_TYPES).map(([name, code]) => [code, name as WireMessage['type']]),
)

/** The whole payload: type byte, then the body of that type. */
const messageEncoding: Encoding<WireMessage, unknown> = {
  preencode(state, m) {
    c.uint8.preencode(state, MESSAGE_TYPES[m.type])
    bodyEncoding(m.type).preencode(state, m)
  },
  encode(state, m) {
    c.uint8.encode(state, MESSAGE_TYPES[m.type])
    bodyEncoding(m.type).encode(state, m)
  },
  decode(state) {
    const code = c.uint8.decode(state)
    const type = TYPE_NAMES.get(code)
    if (type === undefined)
      throw badData('unknown-type', `unknown message type 0x${code.toString(16).padStart(2, '0')}`)
    return BODY_ENCODINGS[type].decode(state)
  },
}

function bodyEncoding(type: WireMessage['type']): Encoding<WireMessage, unknown> {
  return BODY_ENCODINGS[type] as Encoding<WireMessage, unknown>
}

const uint64Limit = 1n << 64n
const nonceSchema = z.bigint().min(0n).lt(uint64Limit)
/** A decoded order with the id computed from its bytes; the result is a SignedOrder. */
const decodedOrderSchema = z
  .object({ order: wireOrderSchema, id: bytesSchema(32) })
  .transform(({ order, id }): SignedOrder => ({ ...order, id }))

/** The rules every message satisfies, applied to the decoded raw values (docs/PROTOCOL.md, "Messages"). */
const messageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('orders'), orders: z.array(decodedOrderSchema).min(1) }).strict(),
  z.object({ type: z.literal('cancel'), ids: z.array(bytesSchema(32)).min(1) }).strict(),
  z.object({ type: z.literal('update'), id: bytesSchema(32), remaining: decimalSchema }).strict(),
  z.object({ type: z.literal('ping'), nonce: nonceSchema }).strict(),
  z.object({ type: z.literal('pong'), nonce: nonceSchema }).strict(),
  takeRequestSchema,
  takeResponseSchema,
  z.object({ type: z.literal('nudge'), swapId: bytesSchema(32) }).strict(),
])

export interface DecodeLimits {
  /** Default DEFAULT_MAX_MESSAGE_BYTES. */
  maxMessageBytes?: number
}

/**
 * Decodes one channel message. Throws only SwarmswapError('BAD_DATA') with details.reason 'oversized'
 * (checked before anything is read), 'unknown-type', 'malformed' (truncated, trailing or non-canonical
 * bytes) or 'invalid' (a value breaks a rule, e.g. a zero amount).
 */
export function decodeMessage(bytes: Uint8Array, limits: DecodeLimits = {}): WireMessage {
  try {
    return decodeChecked(bytes, limits, 'message', messageEncoding, messageSchema, (m) =>
      toBytes(messageEncoding, m),
    )
  } catch (error) {
    // An order of another version inside a v1 message is just an invalid v1 message.
    if (isSwarmswapError(error) && error.details.reason === 'version') throw badData('invalid', error.message)
    throw error
  }
}

/**
 * Encodes a message; throws INVALID_ARGUMENT for a message that decodeMessage would reject or that would
 * not decode to an equal value (e.g. an order whose id is not its body's hash, a mixed-case address).
 */
export function encodeMessage(message: WireMessage): Uint8Array {
  if (message.type === 'orders') return encodeOrdersMessage(message)
  return encodeChecked<WireMessage>(
    message,
    'message',
    (m) => toBytes(messageEncoding, m),
    (b) => decodeMessage(b, { maxMessageBytes: Number.POSITIVE_INFINITY }),
  )
}

/**
 * The hot path of a snapshot (thousands of orders): the typed schema and each id are checked directly,
 * which is what the decode round trip of `encodeChecked` would establish for an order, at a fifth of the
 * cost. An order passing `signedOrderSchema` with its body's id re-encodes to itself.
 */
function encodeOrdersMessage(message: Extract<WireMessage, { type: 'orders' }>): Uint8Array {
  const invalid = (field: string) =>
    new SwarmswapError('INVALID_ARGUMENT', `cannot encode message: ${field} is invalid`, {
      details: { field },
    })
  if (!Array.isArray(message.orders) || message.orders.length === 0) throw invalid('orders')
  message.orders.forEach((order, index) => {
    const parsed = signedOrderSchema.safeParse(order)
    if (!parsed.success) throw invalid(`orders[${index}].${parsed.error.issues[0]?.path.join('.')}`)
    if (!bytesEqual(orderId(order), order.id)) throw invalid(`orders[${index}].id`)
  })
  return toBytes(messageEncoding, message)
}

/** The channel's open handshake: uint version, then the market. */
const handshakeEncoding: Encoding<ChannelHandshake, unknown> = {
  preencode(state, h) {
    c.uint.preencode(state, h.version)
    marketEncoding.preencode(state, h.market)
  },
  encode(state, h) {
    c.uint.encode(state, h.version)
    marketEncoding.encode(state, h.market)
  },
  decode(state) {
    const version = c.uint.decode(state)
    // Another version may lay out the rest differently: stop here; the channel just stays shut.
    if (version !== PROTOCOL_VERSION) throw badData('version', `handshake version ${version}`)
    return { version, market: marketEncoding.decode(state) }
  },
}

const handshakeSchema = z.object({ version: z.literal(PROTOCOL_VERSION), market: marketSchema }).strict()

/**
 * Decodes a channel handshake under the same rules as decodeMessage; a version other than ours throws
 * BAD_DATA with details.reason 'version' (not misbehaviour: the peer speaks another version).
 */
export function decodeHandshake(bytes: Uint8Array, limits: DecodeLimits = {}): ChannelHandshake {
  return decodeChecked(bytes, limits, 'handshake', handshakeEncoding, handshakeSchema, (h) =>
    toBytes(handshakeEncoding, h),
  )
}

export function encodeHandshake(handshake: ChannelHandshake): Uint8Array {
  return encodeChecked(
    handshake,
    'handshake',
    (h) => toBytes(handshakeEncoding, h),
    (b) => decodeHandshake(b),
  )
}

function decodeChecked<T>(
  bytes: Uint8Array,
  limits: DecodeLimits,
  what: string,
  encoding: Encoding<never, unknown>,
  schema: z.ZodType<T>,
  reencode: (value: T) => Uint8Array,
): T {
  const max = limits.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES
  if (!(bytes instanceof Uint8Array)) throw badData('malformed', `${what}: not bytes`)
  if (bytes.byteLength > max) throw badData('oversized', `${what}: ${bytes.byteLength} bytes > ${max}`)
  try {
    const raw = fromBytes(encoding, bytes, what)
    const parsed = schema.safeParse(raw)
    if (!parsed.success) {
      const issue = parsed.error.issues[0]
      throw badData('invalid', `${what}: ${issue?.path.join('.')}: ${issue?.message}`)
    }
    if (!bytesEqual(reencode(parsed.data), bytes))
      throw badData('malformed', `${what}: not canonically encoded`)
    return parsed.data
  } catch (error) {
    if (error instanceof SwarmswapError) throw error
    // A decoder bug must still not crash the connection handler: it is the peer's bytes that caused it.
    throw badData('malformed', `${what}: ${error instanceof Error ? error.message : 'undecodable'}`, error)
  }
}

/** Encodes, then decodes under the receiver's rules and requires the same value back. */
function encodeChecked<T>(
  value: T,
  what: string,
  encode: (v: T) => Uint8Array,
  decode: (b: Uint8Array) => T,
) {
  let bytes: Uint8Array
  let difference: string | null
  try {
    bytes = encode(value)
    difference = firstDifference(value, decode(bytes))
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    throw new SwarmswapError('INVALID_ARGUMENT', `cannot encode ${what}: ${message}`, { cause: error })
  }
  if (difference !== null) {
    throw new SwarmswapError(
      'INVALID_ARGUMENT',
      `cannot encode ${what}: ${difference} would not survive decoding`,
      {
        details: { field: difference },
      },
    )
  }
  return bytes
}

/**
 * Splits orders into as few `orders` messages as fit `maxBytes` each, in order (a snapshot bigger than
 * one message). Throws INVALID_ARGUMENT if a single order does not fit.
 */
export function chunkOrders(
  orders: SignedOrder[],
  maxBytes: number = DEFAULT_MAX_MESSAGE_BYTES,
): MessageOf<'orders'>[] {
  const chunks: MessageOf<'orders'>[] = []
  let current: SignedOrder[] = []
  let size = 0
  for (const order of orders) {
    const orderBytes = toBytes(signedOrderEncoding, order).byteLength
    const withIt = 1 + varintSize(current.length + 1) + size + orderBytes
    if (withIt > maxBytes && current.length > 0) {
      chunks.push({ type: 'orders', orders: current })
      current = []
      size = 0
    }
    if (1 + varintSize(1) + orderBytes > maxBytes) {
      throw new SwarmswapError(
        'INVALID_ARGUMENT',
        `an order of ${orderBytes} bytes does not fit ${maxBytes}`,
        {
          details: { field: 'maxBytes' },
        },
      )
    }
    current.push(order)
    size += orderBytes
  }
  if (current.length > 0) chunks.push({ type: 'orders', orders: current })
  return chunks
}

function varintSize(n: number): number {
  return n <= 0xfc ? 1 : n <= 0xffff ? 3 : n <= 0xffffffff ? 5 : 9
}
