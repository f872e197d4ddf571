import { createHash } from 'node:crypto'
import c, { type State } from 'compact-encoding'
import crypto from 'hypercore-crypto'
import { z } from 'zod'
import { bytesSchema, MAX_EXPIRY, positiveDecimalSchema, quoteForBase } from '../orderbook/order.js'
import type { OrderBody } from '../orderbook/types.js'
import type { PartyKeys, TakeTerms, WireMessage } from './messages.js'
import { fixedBytes, toBytes, toHex } from './wire-codec.js'

/**
 * The take-request / take-response messages (docs/PROTOCOL.md, "Taking an order"): their layouts, rules,
 * and the signatures that bind them to both identities and to the connection.
 */

export type TakeRequest = Extract<WireMessage, { type: 'take-request' }>
export type TakeResponse = Extract<WireMessage, { type: 'take-response' }>
export type TakeAcceptance = Extract<TakeResponse, { accepted: true }>

/** Largest confirmation count a party may ask for (about a week of Bitcoin blocks). */
export const MAX_CONFIRMATIONS = 1000
/** A refusal reason: a short lower-case code such as 'order-gone' (see docs/PROTOCOL.md). */
export const REASON_PATTERN = /^[a-z0-9][a-z0-9-]{0,63}$/
export const TAKE_REQUEST_DOMAIN = 'swarmswap/take-request/v1'
export const TAKE_TERMS_DOMAIN = 'swarmswap/take-terms/v1'

const id16 = fixedBytes(16)
const id32 = fixedBytes(32)
const signature64 = fixedBytes(64)
const pubkey33 = fixedBytes(33)
const address20 = fixedBytes(20)

/** PartyKeys as they travel: the EVM address as its 20 bytes. */
interface RawPartyKeys {
  btcPubkey: Uint8Array
  evmAddress: string
}

const partyKeysEncoding = {
  preencode(state: State, p: PartyKeys): void {
    pubkey33.preencode(state, p.btcPubkey)
    address20.preencode(state, addressBytes(p.evmAddress))
  },
  encode(state: State, p: PartyKeys): void {
    pubkey33.encode(state, p.btcPubkey)
    address20.encode(state, addressBytes(p.evmAddress))
  },
  decode(state: State): RawPartyKeys {
    return { btcPubkey: pubkey33.decode(state), evmAddress: `0x${toHex(address20.decode(state))}` }
  },
}

function addressBytes(address: string): Uint8Array {
  if (!/^0x[0-9a-fA-F]{40}$/.test(address)) throw new TypeError('not an EVM address')
  return Buffer.from(address.slice(2), 'hex')
}

interface RawTerms extends Omit<TakeTerms, 'baseAmount' | 'quoteAmount'> {
  baseAmount: string
  quoteAmount: string
}

const termsEncoding = {
  preencode(state: State, t: TakeTerms): void {
    id32.preencode(state, t.orderId)
    c.string.preencode(state, t.baseAmount.toString())
    c.string.preencode(state, t.quoteAmount.toString())
    id32.preencode(state, t.hashlock)
    c.uint.preencode(state, t.makerDeadline)
    c.uint.preencode(state, t.takerDeadline)
    partyKeysEncoding.preencode(state, t.maker)
    partyKeysEncoding.preencode(state, t.taker)
    c.uint.preencode(state, t.btcConfirmations)
    c.uint.preencode(state, t.evmConfirmations)
  },
  encode(state: State, t: TakeTerms): void {
    id32.encode(state, t.orderId)
    c.string.encode(state, t.baseAmount.toString())
    c.string.encode(state, t.quoteAmount.toString())
    id32.encode(state, t.hashlock)
    c.uint.encode(state, t.makerDeadline)
    c.uint.encode(state, t.takerDeadline)
    partyKeysEncoding.encode(state, t.maker)
    partyKeysEncoding.encode(state, t.taker)
    c.uint.encode(state, t.btcConfirmations)
    c.uint.encode(state, t.evmConfirmations)
  },
  decode(state: State): RawTerms {
    return {
      orderId: id32.decode(state),
      baseAmount: c.string.decode(state),
      quoteAmount: c.string.decode(state),
      hashlock: id32.decode(state),
      makerDeadline: c.uint.decode(state),
      takerDeadline: c.uint.decode(state),
      maker: partyKeysEncoding.decode(state),
      taker: partyKeysEncoding.decode(state),
      btcConfirmations: c.uint.decode(state),
      evmConfirmations: c.uint.decode(state),
    }
  },
}

/** The signed part of a take request: everything but the signature. */
const takeRequestFieldsEncoding = {
  preencode(state: State, m: Omit<TakeRequest, 'signature'>): void {
    id16.preencode(state, m.requestId)
    id32.preencode(state, m.orderId)
    c.string.preencode(state, m.amount.toString())
    partyKeysEncoding.preencode(state, m.taker)
  },
  encode(state: State, m: Omit<TakeRequest, 'signature'>): void {
    id16.encode(state, m.requestId)
    id32.encode(state, m.orderId)
    c.string.encode(state, m.amount.toString())
    partyKeysEncoding.encode(state, m.taker)
  },
}

/** Body of message type 0x06: request fields, then fixed64 signature. */
export const takeRequestEncoding = {
  preencode(state: State, m: TakeRequest): void {
    takeRequestFieldsEncoding.preencode(state, m)
    signature64.preencode(state, m.signature)
  },
  encode(state: State, m: TakeRequest): void {
    takeRequestFieldsEncoding.encode(state, m)
    signature64.encode(state, m.signature)
  },
  decode(state: State) {
    return {
      type: 'take-request',
      requestId: id16.decode(state),
      orderId: id32.decode(state),
      amount: c.string.decode(state),
      taker: partyKeysEncoding.decode(state),
      signature: signature64.decode(state),
    }
  },
}

/** Body of message type 0x07: requestId, u8 accepted, then terms + signature (1) or a reason string (0). */
export const takeResponseEncoding = {
  preencode(state: State, m: TakeResponse): void {
    id16.preencode(state, m.requestId)
    c.uint8.preencode(state, 0)
    if (m.accepted) {
      termsEncoding.preencode(state, m.terms)
      signature64.preencode(state, m.signature)
    } else {
      c.string.preencode(state, m.reason)
    }
  },
  encode(state: State, m: TakeResponse): void {
    id16.encode(state, m.requestId)
    c.uint8.encode(state, m.accepted ? 1 : 0)
    if (m.accepted) {
      termsEncoding.encode(state, m.terms)
      signature64.encode(state, m.signature)
    } else {
      c.string.encode(state, m.reason)
    }
  },
  decode(state: State) {
    const requestId = id16.decode(state)
    const flag = c.uint8.decode(state)
    if (flag === 1) {
      return {
        type: 'take-response',
        requestId,
        accepted: true,
        terms: termsEncoding.decode(state),
        signature: signature64.decode(state),
      }
    }
    // Any other flag is left for validation to reject; no more bytes are read.
    return {
      type: 'take-response',
      requestId,
      accepted: flag === 0 ? false : flag,
      reason: c.string.decode(state),
    }
  },
}

const btcPubkeySchema = bytesSchema(33).refine((k) => k[0] === 0x02 || k[0] === 0x03, 'not a compressed key')
const evmAddressSchema = z
  .string()
  .regex(/^0x[0-9a-f]{40}$/, 'not a lower-case EVM address')
  .refine((a) => !/^0x0{40}$/.test(a), 'the zero address')
const partyKeysSchema = z.object({ btcPubkey: btcPubkeySchema, evmAddress: evmAddressSchema }).strict()
const deadlineSchema = z.number().int().min(1).max(MAX_EXPIRY)
const confirmationsSchema = z.number().int().min(0).max(MAX_CONFIRMATIONS)

const termsSchema = z
  .object({
    orderId: bytesSchema(32),
    baseAmount: positiveDecimalSchema,
    quoteAmount: positiveDecimalSchema,
    hashlock: bytesSchema(32),
    makerDeadline: deadlineSchema,
    takerDeadline: deadlineSchema,
    maker: partyKeysSchema,
    taker: partyKeysSchema,
    btcConfirmations: confirmationsSchema,
    evmConfirmations: confirmationsSchema,
  })
  .strict()
  .refine((t) => t.makerDeadline > t.takerDeadline, {
    message: "the maker's deadline must be after the taker's",
    path: ['makerDeadline'],
  })

export const takeRequestSchema = z
  .object({
    type: z.literal('take-request'),
    requestId: bytesSchema(16),
    orderId: bytesSchema(32),
    amount: positiveDecimalSchema,
    taker: partyKeysSchema,
    signature: bytesSchema(64),
  })
  .strict()

export const takeResponseSchema = z.discriminatedUnion('accepted', [
  z
    .object({
      type: z.literal('take-response'),
      requestId: bytesSchema(16),
      accepted: z.literal(true),
      terms: termsSchema,
      signature: bytesSchema(64),
    })
    .strict(),
  z
    .object({
      type: z.literal('take-response'),
      requestId: bytesSchema(16),
      accepted: z.literal(false),
      reason: z.string().regex(REASON_PATTERN, 'not a reason code'),
    })
    .strict(),
])

/** What a take signature is bound to besides the message: the two identities and the connection. */
export interface TakeBinding {
  /** The Noise handshake hash of the connection the messages travel on (both ends see the same). */
  handshakeHash: Uint8Array
  /** The maker's identity (order.maker, the remote key of the taker's connection). */
  maker: Uint8Array
  /** The taker's identity. */
  taker: Uint8Array
}

function bindingDigest(domain: string, binding: TakeBinding, parts: Uint8Array[]): Uint8Array {
  const hash = createHash('sha256')
  hash.update(toBytes(c.string, domain))
  hash.update(toBytes(c.buffer, binding.handshakeHash))
  hash.update(toBytes(id32, binding.maker))
  hash.update(toBytes(id32, binding.taker))
  for (const part of parts) hash.update(part)
  return Uint8Array.from(hash.digest())
}

/** SHA-256(string domain || buffer handshakeHash || maker || taker || request fields): what the taker signs. */
export function takeRequestDigest(request: Omit<TakeRequest, 'signature'>, binding: TakeBinding): Uint8Array {
  return bindingDigest(TAKE_REQUEST_DOMAIN, binding, [toBytes(takeRequestFieldsEncoding, request)])
}

/**
 * What the maker signs to accept: SHA-256(string domain || buffer handshakeHash || maker || taker ||
 * requestId || the taker's request signature || terms). Including the request signature chains the two,
 * so the pair proves what each side agreed to.
 */
export function takeTermsDigest(request: TakeRequest, terms: TakeTerms, binding: TakeBinding): Uint8Array {
  return bindingDigest(TAKE_TERMS_DOMAIN, binding, [
    request.requestId,
    request.signature,
    toBytes(termsEncoding, terms),
  ])
}

export function signTakeRequest(
  request: Omit<TakeRequest, 'type' | 'signature'>,
  binding: TakeBinding,
  takerSecretKey: Uint8Array,
): TakeRequest {
  const unsigned = { type: 'take-request' as const, ...request }
  const signature = Uint8Array.from(crypto.sign(takeRequestDigest(unsigned, binding), takerSecretKey))
  return { ...unsigned, signature }
}

/** Never throws. */
export function verifyTakeRequest(request: TakeRequest, binding: TakeBinding): boolean {
  try {
    return crypto.verify(takeRequestDigest(request, binding), request.signature, binding.taker)
  } catch {
    return false
  }
}

export function acceptTakeRequest(
  request: TakeRequest,
  terms: TakeTerms,
  binding: TakeBinding,
  makerSecretKey: Uint8Array,
): TakeAcceptance {
  const signature = Uint8Array.from(crypto.sign(takeTermsDigest(request, terms, binding), makerSecretKey))
  return { type: 'take-response', requestId: request.requestId, accepted: true, terms, signature }
}

/** Whether the acceptance answers this request and is the maker's signature over its terms. Never throws. */
export function verifyTakeAcceptance(
  request: TakeRequest,
  response: TakeAcceptance,
  binding: TakeBinding,
): boolean {
  try {
    if (Buffer.compare(request.requestId, response.requestId) !== 0) return false
    return crypto.verify(takeTermsDigest(request, response.terms, binding), response.signature, binding.maker)
  } catch {
    return false
  }
}

/** Refusal codes for a take of the wrong size. */
export type TakeAmountRefusal = 'amount-below-min-fill' | 'amount-above-remaining' | 'quote-rounds-to-zero'

/**
 * Why `amount` base units cannot be taken from an order with `remaining` left, or null if they can. A take
 * below minFill is allowed only when it takes the whole remainder.
 */
export function takeAmountProblem(
  order: Pick<OrderBody, 'side' | 'minFill' | 'priceNum' | 'priceDen'>,
  remaining: bigint,
  amount: bigint,
): TakeAmountRefusal | null {
  if (amount > remaining) return 'amount-above-remaining'
  if (amount <= 0n || (amount < order.minFill && amount !== remaining)) return 'amount-below-min-fill'
  if (quoteForBase(order, amount) === 0n) return 'quote-rounds-to-zero'
  return null
}
