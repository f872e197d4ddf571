import fc from 'fast-check'
import { isSwarmswapError } from '../../src/errors.js'

/**
 * Fuzzing a decoder of bytes from peers: byte generators (random, and mutations of valid encodings) and
 * the one rule every decoder obeys: it returns a value that re-encodes to exactly the bytes it got, or it
 * throws SwarmswapError('BAD_DATA') with a message. Shared by test/p2p/wire.test.ts and the fault suite.
 */

export type DecodeVerdict<T> =
  | { kind: 'accepted'; value: T }
  /** BAD_DATA with a message; `reason` is its details.reason. */
  | { kind: 'rejected'; reason: string }
  /** Anything else: another error, a message-less error, or a value that does not re-encode to the input. */
  | { kind: 'broken'; why: string }

export function decodeVerdict<T>(
  decode: (bytes: Uint8Array) => T,
  encode: (value: T) => Uint8Array,
  bytes: Uint8Array,
): DecodeVerdict<T> {
  let value: T
  try {
    value = decode(bytes)
  } catch (error) {
    if (!isSwarmswapError(error, 'BAD_DATA')) return { kind: 'broken', why: `threw ${describeError(error)}` }
    if (error.message.trim() === '') return { kind: 'broken', why: 'BAD_DATA without a message' }
    return { kind: 'rejected', reason: String(error.details.reason) }
  }
  let again: Uint8Array
  try {
    again = encode(value)
  } catch (error) {
    return { kind: 'broken', why: `accepted, but re-encoding threw ${describeError(error)}` }
  }
  return Buffer.compare(again, bytes) === 0
    ? { kind: 'accepted', value }
    : { kind: 'broken', why: 'accepted a non-canonical encoding' }
}

export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : `a non-Error ${String(error)}`
}

/** Random bytes, and random bytes after one of `leads` (a type byte, a version), which get further in. */
export function randomBytesAfter(leads: readonly number[], maxLength = 300): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    fc.uint8Array({ maxLength }),
    fc
      .tuple(fc.constantFrom(...leads), fc.uint8Array({ maxLength }))
      .map(([lead, rest]) => Uint8Array.from([lead, ...rest])),
  )
}

/**
 * One edit of a valid encoding. Positions are naturals taken modulo the length when applied, so they
 * shrink towards the start. 'edge' writes a value on a compact-encoding boundary (0xfd..0xff announce a
 * wider varint, 0xfc is the largest one-byte one), which turns length prefixes and counts into lies;
 * 'widen' rewrites one byte as the padded three-byte varint of the same value.
 */
type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'edge'; at: number; value: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'append'; bytes: Uint8Array }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; count: number }
  | { kind: 'widen'; at: number }
  | { kind: 'duplicate'; at: number; count: number }

const EDGE_VALUES = [0x00, 0x01, 0x02, 0x7f, 0x80, 0xfc, 0xfd, 0xfe, 0xff]
const at = fc.nat()
const some = fc.uint8Array({ minLength: 1, maxLength: 16 })

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at, bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at, value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('edge' as const), at, value: fc.constantFrom(...EDGE_VALUES) }),
  fc.record({ kind: fc.constant('truncate' as const), at }),
  fc.record({ kind: fc.constant('append' as const), bytes: some }),
  fc.record({ kind: fc.constant('insert' as const), at, bytes: some }),
  fc.record({ kind: fc.constant('delete' as const), at, count: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant('widen' as const), at }),
  fc.record({ kind: fc.constant('duplicate' as const), at, count: fc.integer({ min: 1, max: 40 }) }),
)

function mutate(bytes: Uint8Array, m: Mutation): Uint8Array {
  const n = bytes.byteLength
  if (m.kind === 'append') return Uint8Array.from([...bytes, ...m.bytes])
  const i = 'at' in m ? m.at % (n + 1) : 0
  const head = bytes.subarray(0, i)
  const tail = bytes.subarray(i)
  switch (m.kind) {
    case 'truncate':
      return bytes.slice(0, i)
    case 'insert':
      return Uint8Array.from([...head, ...m.bytes, ...tail])
    case 'delete':
      return Uint8Array.from([...head, ...tail.subarray(m.count)])
    case 'duplicate':
      return Uint8Array.from([...head, ...tail.subarray(0, m.count), ...tail])
  }
  if (i === n) return Uint8Array.from([...bytes, m.kind === 'widen' ? 0 : 0xff])
  const copy = Uint8Array.from(bytes)
  const old = copy[i] ?? 0
  switch (m.kind) {
    case 'flip':
      copy[i] = old ^ (1 << m.bit)
      return copy
    case 'set':
    case 'edge':
      copy[i] = m.value
      return copy
    case 'widen':
      return Uint8Array.from([...head, 0xfd, old, 0, ...tail.subarray(1)])
  }
}

/** A valid encoding from `seeds` with one to four edits applied in turn. */
export function mutatedBytes(seeds: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(fc.constantFrom(...seeds), fc.array(mutation, { minLength: 1, maxLength: 4 }))
    .map(([seed, edits]) => edits.reduce(mutate, seed))
}
