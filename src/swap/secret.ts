import { createHash, createHmac } from 'node:crypto'

/**
 * Swap ids and secrets. The maker's secret is derived from its wallet seed and the swap id (design
 * invariant 1), so a lost swap record does not lose the secret: with the seed and the id (both parties
 * compute it from the take request) it can be derived again.
 */

const SWAP_ID_DOMAIN = 'swarmswap/swap-id/v1'
const SECRET_KEY_DOMAIN = 'swarmswap/swap-secret-key/v1'
const SECRET_DOMAIN = 'swarmswap/swap-secret/v1'

export interface SwapIdInput {
  requestId: Uint8Array
  orderId: Uint8Array
  /** Identity keys of maker and taker. */
  maker: Uint8Array
  taker: Uint8Array
}

/** SHA-256 over a domain, the request id, the order id and both identities, as hex: the same at both ends. */
export function swapIdFor(input: SwapIdInput): string {
  const hash = createHash('sha256').update(SWAP_ID_DOMAIN)
  for (const part of [input.requestId, input.orderId, input.maker, input.taker]) hash.update(part)
  return hash.digest('hex')
}

/** The key all swap secrets derive from: HMAC-SHA256 of the wallet seed under a fixed domain. */
export function secretKeyFromSeed(seed: Uint8Array): Uint8Array {
  return Uint8Array.from(createHmac('sha256', SECRET_KEY_DOMAIN).update(seed).digest())
}

/** The maker's 32-byte secret for one swap: HMAC-SHA256(secretKey, domain || swap id). */
export function deriveSecret(secretKey: Uint8Array, swapId: string): Uint8Array {
  return Uint8Array.from(
    createHmac('sha256', secretKey).update(SECRET_DOMAIN).update(Buffer.from(swapId, 'hex')).digest(),
  )
}

export function hashlockOf(secret: Uint8Array): Uint8Array {
  return Uint8Array.from(createHash('sha256').update(secret).digest())
}
