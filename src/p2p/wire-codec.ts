import c, { type Encoding, type State } from 'compact-encoding'
import { SwarmswapError } from '../errors.js'

/**
 * Glue between compact-encoding and the protocol's rules: whole-buffer encode/decode that rejects trailing
 * bytes, fixed-size fields that copy (so a decoded value never aliases the caller's receive buffer), and
 * the BAD_DATA error every decoder throws.
 */

export type BadDataReason = 'oversized' | 'malformed' | 'unknown-type' | 'invalid' | 'version'

export function badData(reason: BadDataReason, message: string, cause?: unknown): SwarmswapError {
  return new SwarmswapError('BAD_DATA', message, { cause, details: { reason } })
}

/** Encodes one value into a buffer of exactly its size. */
export function toBytes<T>(
  encoding: Pick<Encoding<T, unknown>, 'preencode' | 'encode'>,
  value: T,
): Uint8Array {
  const state = c.state()
  encoding.preencode(state, value)
  state.buffer = new Uint8Array(state.end)
  encoding.encode(state, value)
  return state.buffer
}

/**
 * Decodes a value that must fill `bytes` exactly; throws BAD_DATA 'malformed' on truncation or trailing
 * bytes, and passes on the SwarmswapErrors the decoder throws itself.
 */
export function fromBytes<T>(encoding: Encoding<never, T>, bytes: Uint8Array, what: string): T {
  const state = c.state(0, bytes.byteLength, bytes)
  let value: T
  try {
    value = encoding.decode(state)
  } catch (error) {
    if (error instanceof SwarmswapError) throw error
    throw badData('malformed', `${what}: ${error instanceof Error ? error.message : 'undecodable'}`, error)
  }
  if (state.start !== bytes.byteLength) {
    throw badData('malformed', `${what}: ${bytes.byteLength - state.start} trailing bytes`)
  }
  return value
}

/** Exactly n bytes; the decoded value is a plain Uint8Array copy, even from a Buffer (whose slice is a view). */
export function fixedBytes(n: number): Encoding<Uint8Array> {
  const inner = c.fixed(n)
  return {
    preencode: inner.preencode,
    encode: inner.encode,
    decode: (state: State) => new Uint8Array(inner.decode(state)),
  }
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.compare(a, b) === 0
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}

/**
 * The path of the first difference between two protocol values (bytes compared by content, whatever their
 * class), or null if they are the same. Used to refuse encoding a value that would not survive a round trip.
 */
export function firstDifference(a: unknown, b: unknown, path = ''): string | null {
  if (a instanceof Uint8Array && b instanceof Uint8Array) return bytesEqual(a, b) ? null : path
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return `${path}.length`
    for (let i = 0; i < a.length; i++) {
      const difference = firstDifference(a[i], b[i], `${path}[${i}]`)
      if (difference !== null) return difference
    }
    return null
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)])
    for (const key of keys) {
      const difference = firstDifference(a[key], b[key], path === '' ? key : `${path}.${key}`)
      if (difference !== null) return difference
    }
    return null
  }
  return Object.is(a, b) ? null : path
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)
  )
}
