import { z } from 'zod'
import { SwarmswapError } from '../errors.js'
import { assetSchema, marketSchema } from '../orderbook/market.js'
import { SWAP_STATUSES, type SwapRecord } from '../swap/types.js'

/**
 * The JSON form of a SwapRecord as the store keeps it: bigints as canonical decimal strings, bytes as
 * lower-case hex, optional fields omitted when undefined. One zod codec per field type describes both
 * directions, so encoding checks the record against exactly the schema decoding enforces: a record that
 * could not be read back is refused before it is written.
 */

const lowerHex = (bytes: number) =>
  z.string().regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`), `not ${bytes} bytes hex`)

/** A non-negative integer in base units; at most 78 digits (2^256 - 1 has 78). */
const units = z.codec(
  z.string().regex(/^(0|[1-9]\d{0,77})$/, 'not a canonical non-negative integer'),
  z.bigint().nonnegative(),
  { decode: (text) => BigInt(text), encode: (value) => value.toString() },
)

const bytes = (length: number) =>
  z.codec(
    lowerHex(length),
    z.custom<Uint8Array>((value) => value instanceof Uint8Array, 'not bytes'),
    {
      decode: (text) => Uint8Array.from(Buffer.from(text, 'hex')),
      encode: (value) => Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex'),
    },
  )

const count = z.int().nonnegative()
/** Unix seconds or milliseconds. */
const time = z.int().nonnegative()
const chain = z.enum(['bitcoin', 'evm'])
const status = z.enum(SWAP_STATUSES)
/** A Bitcoin txid (64 hex) or an EVM transaction hash (0x + 64 hex). */
const txid = z.string().regex(/^(0x)?[0-9a-f]{64}$/, 'not a txid')

const partyKeys = z.strictObject({
  btcPubkey: bytes(33),
  evmAddress: z.string().regex(/^0x[0-9a-f]{40}$/, 'not a lower-case EVM address'),
})

const legTerms = z.strictObject({
  chain,
  asset: assetSchema,
  amount: units,
  hashlock: bytes(32),
  deadline: time,
  sender: partyKeys,
  recipient: partyKeys,
  confirmations: count,
})

const lockRef = z.strictObject({ txid, vout: count.optional() })

const signedTx = z.strictObject({
  chain,
  purpose: z.enum(['approve', 'lock', 'claim', 'refund']),
  txid,
  raw: z.string().regex(/^(0x)?([0-9a-f]{2})+$/, 'not a hex transaction'),
  feeRate: units.optional(),
  nonce: count.optional(),
  signedAt: time,
})

const swapEvent = z.strictObject({
  at: time,
  status,
  note: z.string(),
  txid: txid.optional(),
  chain: chain.optional(),
})

const swapRecord = z.strictObject({
  id: lowerHex(32),
  role: z.enum(['maker', 'taker']),
  status,
  market: marketSchema,
  orderId: lowerHex(32),
  peer: lowerHex(32),
  makerLeg: legTerms,
  takerLeg: legTerms,
  keyIndex: count,
  startHeights: z.strictObject({ bitcoin: count, evm: count }),
  preimage: lowerHex(32).optional(),
  makerLock: lockRef.optional(),
  takerLock: lockRef.optional(),
  pending: z.array(signedTx),
  history: z.array(swapEvent),
  reason: z.string().optional(),
  createdAt: time,
  updatedAt: time,
})

// The schema's decoded type must be exactly SwapRecord: a change to the engine's type fails to compile here.
type Exactly<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
const schemaMatchesSwapRecord: Exactly<z.output<typeof swapRecord>, SwapRecord> = true
void schemaMatchesSwapRecord

function firstIssue(error: z.ZodError): { path: string; message: string } {
  const issue = error.issues[0]
  return { path: issue?.path.join('.') ?? '', message: issue?.message ?? 'invalid' }
}

/** The record as JSON. Throws INVALID_ARGUMENT (details.path) if it does not fit the stored schema. */
export function encodeSwapRecord(record: SwapRecord): string {
  const result = swapRecord.safeEncode(record)
  if (!result.success) {
    const { path, message } = firstIssue(result.error)
    throw new SwarmswapError('INVALID_ARGUMENT', `swap record cannot be stored: ${path}: ${message}`, {
      details: { path },
    })
  }
  return JSON.stringify(result.data)
}

/** The record stored as `json`. Throws BAD_DATA (details.path; '' when not JSON at all) on any mismatch. */
export function decodeSwapRecord(json: string): SwapRecord {
  let parsed: unknown
  try {
    parsed = JSON.parse(json)
  } catch (cause) {
    throw new SwarmswapError('BAD_DATA', 'stored swap record is not JSON', { cause, details: { path: '' } })
  }
  const result = swapRecord.safeDecode(parsed as z.input<typeof swapRecord>)
  if (!result.success) {
    const { path, message } = firstIssue(result.error)
    throw new SwarmswapError('BAD_DATA', `stored swap record is invalid at ${path || '(root)'}: ${message}`, {
      details: { path },
    })
  }
  return result.data
}
