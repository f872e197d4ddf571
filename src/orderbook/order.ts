import { createHash, randomBytes } from 'node:crypto'
import c, { type State } from 'compact-encoding'
import crypto from 'hypercore-crypto'
import { z } from 'zod'
import { SwarmswapError } from '../errors.js'
import { badData, bytesEqual, fixedBytes, fromBytes, toBytes, toHex } from '../p2p/wire-codec.js'
import { marketEncoding, marketId, marketSchema, PROTOCOL_VERSION } from './market.js'
import type { Market, OrderBody, Side, SignedOrder } from './types.js'

/**
 * Orders as pure data: the canonical encoding, id, signature, validation and fill arithmetic
 * (docs/PROTOCOL.md, "Orders"). No I/O, no clock except where a caller passes `now`.
 */

export { comparePrice } from './book-price.js'

/** Amounts and price parts are below 2^256, the EVM's word. */
export const UINT256_LIMIT = 1n << 256n
/** A canonical decimal integer: no sign, no point, no leading zero, at most 78 digits. */
export const DECIMAL_PATTERN = /^(0|[1-9][0-9]{0,77})$/
/** Expiry is unix seconds in a uint32 (until 2106). */
export const MAX_EXPIRY = 0xffffffff
/** Bytes signed by the maker: this ASCII text, then the 32-byte id. */
export const ORDER_SIGNATURE_DOMAIN = 'swarmswap/order/v1'

export interface OrderLimits {
  /** Longest allowed time from createdAt to expiry, ms (an order's whole life). */
  maxLifetimeMs: number
  /** How far a maker's createdAt may be ahead of our clock, ms. */
  maxClockSkewMs: number
}

export const DEFAULT_ORDER_LIMITS: Readonly<OrderLimits> = {
  maxLifetimeMs: 30 * 24 * 3600_000,
  maxClockSkewMs: 5 * 60_000,
}

/** A decimal string of base units in 0 .. 2^256-1, as a bigint. */
export const decimalSchema = z
  .string()
  .regex(DECIMAL_PATTERN, 'not a canonical decimal integer')
  .transform((s) => BigInt(s))
  .refine((v) => v < UINT256_LIMIT, 'not below 2^256')
/** A decimal string of base units in 1 .. 2^256-1: every amount and price part of an order. */
export const positiveDecimalSchema = decimalSchema.refine((v) => v > 0n, 'must be positive')
const positiveBigintSchema = z.bigint().positive().lt(UINT256_LIMIT)

export function bytesSchema(length: number) {
  return z.instanceof(Uint8Array).refine((b) => b.byteLength === length, `must be ${length} bytes`)
}

const sideSchema = z.enum(['sell', 'buy'])

function orderBodyShape<A extends z.ZodType<bigint, unknown>>(amount: A) {
  return {
    version: z.literal(PROTOCOL_VERSION),
    market: marketSchema,
    side: sideSchema,
    amount,
    minFill: amount,
    priceNum: amount,
    priceDen: amount,
    expiry: z.number().int().min(0).max(MAX_EXPIRY),
    createdAt: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    maker: bytesSchema(32),
    nonce: bytesSchema(16),
  }
}

/** An order body in code (bigint amounts): what encodeOrderBody accepts. */
export const orderBodySchema = z.object(orderBodyShape(positiveBigintSchema)).strict()
/** A signed order in code. */
export const signedOrderSchema = z
  .object({ ...orderBodyShape(positiveBigintSchema), id: bytesSchema(32), signature: bytesSchema(64) })
  .strict()
/**
 * An order as decoded from the wire, before it is typed: amounts are canonical decimal strings (a zero,
 * negative, float-looking, leading-zero or over-long amount is invalid), the id is not sent.
 */
export const wireOrderSchema = z
  .object({ ...orderBodyShape(positiveDecimalSchema), signature: bytesSchema(64) })
  .strict()
const wireOrderBodySchema = z.object(orderBodyShape(positiveDecimalSchema)).strict()

/** The body fields as they travel: amounts as decimal strings, side as its tag. */
interface RawOrderBody {
  version: number
  market: { network: string; base: string; quote: string }
  side: Side | number
  amount: string
  minFill: string
  priceNum: string
  priceDen: string
  expiry: number
  createdAt: number
  maker: Uint8Array
  nonce: Uint8Array
}

const SIDE_TAGS: Record<Side, number> = { sell: 0, buy: 1 }
const SIDES: readonly Side[] = ['sell', 'buy']
const makerKey = fixedBytes(32)
const nonce16 = fixedBytes(16)

/**
 * The order body layout (docs/PROTOCOL.md, "Order body"); decode stops after the version when it is not
 * PROTOCOL_VERSION. Values are unvalidated here.
 */
export const rawOrderBodyEncoding = {
  preencode(state: State, b: OrderBody): void {
    c.uint.preencode(state, b.version)
    marketEncoding.preencode(state, b.market)
    c.uint8.preencode(state, SIDE_TAGS[b.side])
    for (const v of [b.amount, b.minFill, b.priceNum, b.priceDen]) c.string.preencode(state, v.toString())
    c.uint.preencode(state, b.expiry)
    c.uint.preencode(state, b.createdAt)
    makerKey.preencode(state, b.maker)
    nonce16.preencode(state, b.nonce)
  },
  encode(state: State, b: OrderBody): void {
    c.uint.encode(state, b.version)
    marketEncoding.encode(state, b.market)
    c.uint8.encode(state, SIDE_TAGS[b.side])
    for (const v of [b.amount, b.minFill, b.priceNum, b.priceDen]) c.string.encode(state, v.toString())
    c.uint.encode(state, b.expiry)
    c.uint.encode(state, b.createdAt)
    makerKey.encode(state, b.maker)
    nonce16.encode(state, b.nonce)
  },
  decode(state: State): RawOrderBody {
    const version = c.uint.decode(state)
    // Another version may lay out the rest differently: stop here.
    if (version !== PROTOCOL_VERSION) throw badData('version', `order version ${version}`)
    const market = marketEncoding.decode(state)
    const tag = c.uint8.decode(state)
    return {
      version,
      market,
      side: SIDES[tag] ?? tag,
      amount: c.string.decode(state),
      minFill: c.string.decode(state),
      priceNum: c.string.decode(state),
      priceDen: c.string.decode(state),
      expiry: c.uint.decode(state),
      createdAt: c.uint.decode(state),
      maker: makerKey.decode(state),
      nonce: nonce16.decode(state),
    }
  },
}

function firstIssue(error: z.ZodError): { field: string; message: string } {
  const issue = error.issues[0]
  return { field: String(issue?.path[0] ?? ''), message: `${issue?.path.join('.')}: ${issue?.message}` }
}

/**
 * The canonical encoding of an order body: one byte string per body, so id = SHA-256 of it is well
 * defined. Throws INVALID_ARGUMENT (details.field) for a body that no peer would accept.
 */
export function encodeOrderBody(body: OrderBody): Uint8Array {
  const parsed = orderBodySchema.safeParse(pickBody(body))
  if (!parsed.success) {
    const { field, message } = firstIssue(parsed.error)
    throw new SwarmswapError('INVALID_ARGUMENT', `order body: ${message}`, { details: { field } })
  }
  return toBytes(rawOrderBodyEncoding, body)
}

/**
 * Decodes and validates an order body; re-encoding the result yields `bytes`. Throws BAD_DATA with
 * details.reason 'malformed' (bytes), 'version' (not version 1) or 'invalid' (a field out of range).
 */
export function decodeOrderBody(bytes: Uint8Array): OrderBody {
  const raw = fromBytes(rawOrderBodyEncoding, bytes, 'order body')
  const parsed = wireOrderBodySchema.safeParse(raw)
  if (!parsed.success) throw badData('invalid', `order body: ${firstIssue(parsed.error).message}`)
  const body: OrderBody = parsed.data
  if (!bytesEqual(toBytes(rawOrderBodyEncoding, body), bytes)) {
    throw badData('malformed', 'order body: not canonically encoded')
  }
  return body
}

/** The order id: SHA-256 of the body's canonical encoding. */
export function orderId(body: OrderBody): Uint8Array {
  return sha256(encodeOrderBody(body))
}

/** Hex of an order's id (or of an id), the key of maps and the book. */
export function orderIdHex(orderOrId: SignedOrder | Uint8Array): string {
  return toHex(orderOrId instanceof Uint8Array ? orderOrId : orderOrId.id)
}

/** The bytes an order signature covers: ORDER_SIGNATURE_DOMAIN (ASCII) || id. */
export function orderSigningMessage(id: Uint8Array): Uint8Array {
  return Buffer.concat([Buffer.from(ORDER_SIGNATURE_DOMAIN, 'ascii'), id])
}

/** Signs a body as is (no checks beyond encodability); createOrder is the checked way to make an order. */
export function signOrder(body: OrderBody, secretKey: Uint8Array): SignedOrder {
  const id = orderId(body)
  const signature = Uint8Array.from(crypto.sign(orderSigningMessage(id), secretKey))
  return { ...pickBody(body), id, signature }
}

/** True iff the id is the hash of the body and the signature is the maker's over it; never throws. */
export function verifyOrderSignature(order: SignedOrder): boolean {
  try {
    if (!(order.id instanceof Uint8Array) || !(order.signature instanceof Uint8Array)) return false
    if (order.signature.byteLength !== 64 || order.maker.byteLength !== 32) return false
    if (!bytesEqual(orderId(order), order.id)) return false
    return crypto.verify(orderSigningMessage(order.id), order.signature, order.maker)
  } catch {
    return false
  }
}

/**
 * What a maker chooses; `expiry` must be in the future and at most `limits.maxLifetimeMs` after createdAt.
 * createdAt defaults to now, the nonce to 16 random bytes.
 */
export type CreateOrderParams = Pick<
  OrderBody,
  'market' | 'side' | 'amount' | 'minFill' | 'priceNum' | 'priceDen' | 'expiry'
> &
  Partial<Pick<OrderBody, 'createdAt' | 'nonce'>>

export interface IdentityKeyPair {
  publicKey: Uint8Array
  /** sodium's 64-byte ed25519 secret key (seed || public key). */
  secretKey: Uint8Array
}

/** Checks and signs a new order. Throws INVALID_ARGUMENT with details.field naming the first bad parameter. */
export function createOrder(
  params: CreateOrderParams,
  keyPair: IdentityKeyPair,
  options: { now?: number; limits?: Partial<OrderLimits> } = {},
): SignedOrder {
  const now = options.now ?? Date.now()
  const body: OrderBody = {
    version: PROTOCOL_VERSION,
    market: params.market,
    side: params.side,
    amount: params.amount,
    minFill: params.minFill,
    priceNum: params.priceNum,
    priceDen: params.priceDen,
    expiry: params.expiry,
    createdAt: params.createdAt ?? now,
    maker: keyPair.publicKey,
    nonce: params.nonce ?? Uint8Array.from(randomBytes(16)),
  }
  const problem = bodyProblem(body, now, { ...DEFAULT_ORDER_LIMITS, ...options.limits })
  if (problem !== null) {
    throw new SwarmswapError('INVALID_ARGUMENT', `order: ${problem.message}`, {
      details: { field: problem.field },
    })
  }
  if (params.expiry * 1000 <= now) {
    throw new SwarmswapError('INVALID_ARGUMENT', 'order: expiry is not in the future', {
      details: { field: 'expiry' },
    })
  }
  assertKeyPair(keyPair)
  return signOrder(body, keyPair.secretKey)
}

function assertKeyPair(keyPair: IdentityKeyPair): void {
  const { publicKey, secretKey } = keyPair
  if (
    !(publicKey instanceof Uint8Array) ||
    !(secretKey instanceof Uint8Array) ||
    publicKey.byteLength !== 32 ||
    secretKey.byteLength !== 64 ||
    !bytesEqual(secretKey.subarray(32), publicKey)
  ) {
    throw new SwarmswapError('INVALID_ARGUMENT', 'order: keyPair is not a matching ed25519 key pair', {
      details: { field: 'keyPair' },
    })
  }
}

export type OrderRejection = 'signature' | 'expired' | 'bounds' | 'market' | 'version'

/**
 * Whether a peer's (or the journal's) order may enter a book now. Throws BAD_DATA with details.reason:
 * 'version' (not version 1), 'market' (invalid, or not context.market), 'bounds' (a field out of range,
 * minFill > amount, createdAt ahead of our clock, a life longer than limits.maxLifetimeMs),
 * 'signature' (id not the body's hash, or not signed by the maker), 'expired' (expiry <= now).
 * Checks run in that order, so a forged expired order reports 'signature'.
 * `signatureVerified` skips the id and signature check for a caller that already did it (the node verifies
 * a snapshot's signatures on a worker thread); only for orders from decodeMessage, whose id the decoder
 * computed from the body bytes.
 */
export function validateOrder(
  order: SignedOrder,
  context: { now: number; market?: Market; limits?: Partial<OrderLimits>; signatureVerified?: boolean },
): void {
  const reject = (reason: OrderRejection, message: string): never => {
    throw new SwarmswapError('BAD_DATA', `order rejected: ${message}`, { details: { reason } })
  }
  if (order.version !== PROTOCOL_VERSION) reject('version', `version ${String(order.version)}`)
  if (!marketSchema.safeParse(order.market).success) reject('market', 'invalid market')
  if (context.market !== undefined && marketId(order.market) !== marketId(context.market)) {
    reject('market', `${marketId(order.market)} is not ${marketId(context.market)}`)
  }
  const problem = bodyProblem(order, context.now, { ...DEFAULT_ORDER_LIMITS, ...context.limits })
  if (problem !== null) reject('bounds', problem.message)
  if (context.signatureVerified !== true && !verifyOrderSignature(order))
    reject('signature', 'bad id or signature')
  if (order.expiry * 1000 <= context.now) reject('expired', `expired at ${order.expiry}`)
}

/** The first rule a body breaks (field and message), or null; expiry-vs-now is the caller's. */
function bodyProblem(
  body: OrderBody,
  now: number,
  limits: OrderLimits,
): { field: string; message: string } | null {
  const parsed = orderBodySchema.safeParse(pickBody(body))
  if (!parsed.success) return firstIssue(parsed.error)
  if (body.minFill > body.amount) return { field: 'minFill', message: 'minFill is above amount' }
  if (body.createdAt > now + limits.maxClockSkewMs) {
    return { field: 'createdAt', message: `createdAt is more than ${limits.maxClockSkewMs} ms ahead` }
  }
  const expiryMs = body.expiry * 1000
  if (expiryMs <= body.createdAt) return { field: 'expiry', message: 'expiry is not after createdAt' }
  if (expiryMs - body.createdAt > limits.maxLifetimeMs) {
    return { field: 'expiry', message: `lifetime over ${limits.maxLifetimeMs} ms` }
  }
  return null
}

/** The body fields of an order (drops id, signature and anything else). */
export function pickBody(o: OrderBody): OrderBody {
  return {
    version: o.version,
    market: o.market,
    side: o.side,
    amount: o.amount,
    minFill: o.minFill,
    priceNum: o.priceNum,
    priceDen: o.priceDen,
    expiry: o.expiry,
    createdAt: o.createdAt,
    maker: o.maker,
    nonce: o.nonce,
  }
}

/**
 * The quote units that change hands for a fill of `baseAmount` base units: base * priceNum / priceDen,
 * rounded in the maker's favour because the maker's signed price is a limit the taker accepts as is.
 * Sell order (maker receives quote): rounded UP, so the maker never gets less than its price.
 * Buy order (maker pays quote): rounded DOWN, so the maker never pays more than its price.
 * A fill whose quote rounds to 0 cannot be settled; the take request's check rejects it.
 */
export function quoteForBase(
  order: Pick<OrderBody, 'side' | 'priceNum' | 'priceDen'>,
  baseAmount: bigint,
): bigint {
  if (typeof baseAmount !== 'bigint' || baseAmount <= 0n) {
    throw new SwarmswapError('INVALID_ARGUMENT', 'baseAmount must be a positive bigint', {
      details: { field: 'baseAmount' },
    })
  }
  const product = baseAmount * order.priceNum
  const floor = product / order.priceDen
  return order.side === 'sell' && floor * order.priceDen !== product ? floor + 1n : floor
}

function sha256(bytes: Uint8Array): Uint8Array {
  return Uint8Array.from(createHash('sha256').update(bytes).digest())
}
