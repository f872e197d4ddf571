import c, { type State } from 'compact-encoding'
import fc from 'fast-check'
import { isSwarmswapError } from '../../../src/errors.js'
import { decodeOrderBody, encodeOrderBody, orderId, validateOrder } from '../../../src/orderbook/order.js'
import type { OrderBody, SignedOrder } from '../../../src/orderbook/types.js'
import type { WireMessage } from '../../../src/p2p/messages.js'
import {
  decodeHandshake,
  decodeMessage,
  encodeHandshake,
  encodeMessage,
  MESSAGE_TYPES,
} from '../../../src/p2p/wire.js'
import { verifyTakeAcceptance, verifyTakeRequest } from '../../../src/p2p/wire-take.js'
import { decodeVerdict, describeError, mutatedBytes, randomBytesAfter } from '../../helpers/wire-fuzz.js'
import { binding, body, handshake, orderWith, request, SAMPLES } from '../../helpers/wire-samples.js'
import type { FuzzRule } from './tally.js'

/**
 * Every decoder of bytes from peers, with the inputs to fuzz it with (random bytes, mutations of valid
 * encodings, and, for messages, well-laid-out bytes with arbitrary field values) and the checks a node runs
 * on what it accepts (order validation, take signatures), which must not throw anything but BAD_DATA.
 */

export interface DecoderTarget {
  name: string
  /** What the inputs are, for the case's title. */
  sources: string
  inputs: fc.Arbitrary<Uint8Array>
  /** The rule per input; it also counts each outcome (accepted, or the BAD_DATA reason) in `outcomes`. */
  rule: FuzzRule<Uint8Array>
  outcomes: Map<string, number>
}

/** The clock the accepted orders are validated at: just after the samples were made, so most are current. */
const NOW = body.createdAt + 60_000

function target<T>(
  name: string,
  sources: string,
  decode: (bytes: Uint8Array) => T,
  encode: (value: T) => Uint8Array,
  inputs: fc.Arbitrary<Uint8Array>,
  afterDecode: (value: T) => string | null,
): DecoderTarget {
  const outcomes = new Map<string, number>()
  const count = (outcome: string) => outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1)
  const rule = (bytes: Uint8Array): string | null => {
    const verdict = decodeVerdict(decode, encode, bytes)
    if (verdict.kind === 'broken') return verdict.why
    if (verdict.kind === 'rejected') {
      count(verdict.reason)
      return null
    }
    count('accepted')
    return afterDecode(verdict.value)
  }
  return { name, sources, inputs, rule, outcomes }
}

/** Runs a check a node runs on decoded data: it may return or throw BAD_DATA, nothing else. */
function onlyBadData(what: string, check: () => unknown): string | null {
  try {
    check()
    return null
  } catch (error) {
    return isSwarmswapError(error, 'BAD_DATA') && error.message !== ''
      ? null
      : `${what} threw ${describeError(error)}`
  }
}

/** A verifier documented as "never throws" must return a boolean. */
function neverThrows(what: string, verify: () => boolean): string | null {
  try {
    return typeof verify() === 'boolean' ? null : `${what} returned a non-boolean`
  } catch (error) {
    return `${what} threw ${describeError(error)}`
  }
}

/** validateOrder runs every check of an order, its signature (verifyOrderSignature) included. */
function checkOrder(order: SignedOrder): string | null {
  return onlyBadData('validateOrder', () => validateOrder(order, { now: NOW, market: handshake.market }))
}

/** What the node does next with an accepted message, short of the network. */
function afterMessage(message: WireMessage): string | null {
  switch (message.type) {
    case 'orders':
      for (const order of message.orders) {
        const broken = checkOrder(order)
        if (broken !== null) return broken
      }
      return null
    case 'take-request':
      return neverThrows('verifyTakeRequest', () => verifyTakeRequest(message, binding))
    case 'take-response':
      return message.accepted
        ? neverThrows('verifyTakeAcceptance', () => verifyTakeAcceptance(request, message, binding))
        : null
    default:
      return null
  }
}

const messageSeeds = [
  ...SAMPLES.map((m) => encodeMessage(m)),
  encodeMessage({ type: 'orders', orders: Array.from({ length: 12 }, (_, i) => orderWith(i)) }),
]

export function messageTarget(): DecoderTarget {
  return target(
    'decodeMessage',
    'random, mutated and laid-out bytes',
    (bytes) => decodeMessage(bytes),
    encodeMessage,
    fc.oneof(
      { weight: 2, arbitrary: randomBytesAfter(Object.values(MESSAGE_TYPES)) },
      { weight: 4, arbitrary: mutatedBytes(messageSeeds) },
      { weight: 2, arbitrary: laidOutMessage },
    ),
    afterMessage,
  )
}

export function handshakeTarget(): DecoderTarget {
  const seeds = [
    handshake,
    {
      version: 1 as const,
      market: { network: 'testnet' as const, base: 'BTC', quote: `ERC20:0x${'ab'.repeat(20)}` },
    },
  ].map(encodeHandshake)
  return target(
    'decodeHandshake',
    'random and mutated bytes',
    (bytes) => decodeHandshake(bytes),
    encodeHandshake,
    fc.oneof(
      { weight: 1, arbitrary: randomBytesAfter([1], 80) },
      { weight: 2, arbitrary: mutatedBytes(seeds) },
    ),
    () => null,
  )
}

export function orderBodyTarget(): DecoderTarget {
  const seeds = [
    body,
    { ...body, side: 'buy' as const, market: { ...body.market, quote: `ERC20:0x${'cd'.repeat(20)}` } },
  ].map(encodeOrderBody)
  const signature = new Uint8Array(64)
  return target(
    'decodeOrderBody',
    'random, mutated and laid-out bytes',
    decodeOrderBody,
    encodeOrderBody,
    fc.oneof(
      { weight: 1, arbitrary: randomBytesAfter([1], 200) },
      { weight: 2, arbitrary: mutatedBytes(seeds) },
      { weight: 1, arbitrary: laidOutOrderBody },
    ),
    (decoded: OrderBody) => checkOrder({ ...decoded, id: orderId(decoded), signature }),
  )
}

/**
 * Bytes in the layout of docs/PROTOCOL.md with arbitrary field values: they pass the byte-level decoder
 * far more often than random bytes, so the value rules (zod) and the canonical check get the work.
 */
type Field =
  | { uint: number }
  | { u8: number }
  | { u64: bigint }
  | { text: string }
  | { fixed: Uint8Array }
  | { fields: Field[] }

function layOut(fields: Field[]): Uint8Array {
  const state = c.state()
  const walk = (list: Field[], step: (state: State, field: Field) => void) => {
    for (const field of list) {
      if ('fields' in field) walk(field.fields, step)
      else step(state, field)
    }
  }
  const each = (op: 'preencode' | 'encode') => (s: State, f: Field) => {
    if ('uint' in f) c.uint[op](s, f.uint)
    else if ('u8' in f) c.uint8[op](s, f.u8)
    else if ('u64' in f) c.biguint64[op](s, f.u64)
    else if ('text' in f) c.string[op](s, f.text)
    else if ('fixed' in f) c.fixed(f.fixed.byteLength)[op](s, f.fixed)
  }
  walk(fields, each('preencode'))
  state.buffer = new Uint8Array(state.end)
  walk(fields, each('encode'))
  return state.buffer
}

const uint = fc
  .oneof(
    fc.nat(),
    fc.integer({ min: 1_700_000_000, max: 1_900_000_000 }),
    fc.constantFrom(0, 1, 0xfc, 0xfd, 0xffff, 0x10000, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER),
  )
  .map((n) => ({ uint: n }))
const small = fc.oneof(fc.integer({ min: 0, max: 3 }), fc.constantFrom(1000, 1001)).map((n) => ({ uint: n }))
const text = (...likely: string[]) =>
  fc.oneof(fc.constantFrom(...likely), fc.string()).map((t) => ({ text: t }))
const fixed = (n: number) => fc.uint8Array({ minLength: n, maxLength: n }).map((b) => ({ fixed: b }))
const decimal = fc
  .oneof(
    fc.bigInt({ min: 0n, max: 1n << 260n }).map(String),
    fc.constantFrom('0', '-1', '01', '1.5', '1e3', ' 1', '', '1'.repeat(79), '９'),
    fc.string(),
  )
  .map((t) => ({ text: t }))
const asset = text('BTC', 'ETH', 'btc', `ERC20:0x${'ab'.repeat(20)}`, `ERC20:0x${'AB'.repeat(20)}`)
const market = fc
  .tuple(text('regtest', 'testnet', 'mainnet', 'signet'), asset, asset)
  .map((f) => ({ fields: f }))
const compressedKey = fc
  .tuple(fc.constantFrom(2, 3, 4, 0), fc.uint8Array({ minLength: 32, maxLength: 32 }))
  .map(([prefix, rest]) => ({ fixed: Uint8Array.from([prefix, ...rest]) }))
const party = fc.tuple(compressedKey, fixed(20)).map((f) => ({ fields: f }))
const version = fc.oneof(fc.constant(1), fc.nat()).map((n) => ({ uint: n }))

const laidOutOrderFields = fc.tuple(
  version,
  market,
  fc.constantFrom(0, 1, 2, 255).map((n) => ({ u8: n })),
  decimal,
  decimal,
  decimal,
  decimal,
  uint,
  uint,
  fixed(32),
  fixed(16),
)
const laidOutOrderBody = laidOutOrderFields.map((f) => layOut(f))

const type = (name: WireMessage['type']) => ({ u8: MESSAGE_TYPES[name] })
const laidOutMessage = fc
  .oneof(
    fc
      .array(fc.tuple(laidOutOrderFields, fixed(64)), { minLength: 0, maxLength: 3 })
      .chain((orders) =>
        fc
          .oneof(fc.constant(orders.length), fc.nat({ max: 5 }))
          .map((n): Field[] => [
            type('orders'),
            { uint: n },
            ...orders.flatMap(([fields, signature]) => [...fields, signature]),
          ]),
      ),
    fc
      .array(fixed(32), { maxLength: 3 })
      .map((ids): Field[] => [type('cancel'), { uint: ids.length }, ...ids]),
    fc.tuple(fixed(32), decimal).map((f): Field[] => [type('update'), ...f]),
    fc
      .tuple(fixed(16), fixed(32), decimal, party, fixed(64))
      .map((f): Field[] => [type('take-request'), ...f]),
    fc
      .tuple(
        fixed(16),
        fixed(32),
        decimal,
        decimal,
        fixed(32),
        uint,
        uint,
        party,
        party,
        small,
        small,
        fixed(64),
      )
      .map(([requestId, ...terms]): Field[] => [type('take-response'), requestId, { u8: 1 }, ...terms]),
    fc
      .tuple(fixed(16), fc.constantFrom(0, 2), text('order-gone', 'busy', 'No thanks!', ''))
      .map(([requestId, flag, reason]): Field[] => [type('take-response'), requestId, { u8: flag }, reason]),
    fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((n): Field[] => [type('ping'), { u64: n }]),
    fixed(32).map((swapId): Field[] => [type('nudge'), swapId]),
  )
  .map(layOut)
