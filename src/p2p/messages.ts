import type { Market, SignedOrder } from '../orderbook/types.js'

/**
 * Messages of the order book protocol (one protomux channel per market on a swarm connection; see
 * docs/PROTOCOL.md for the byte-level encoding). Orders, cancels and updates are only accepted from the
 * connection of the order's maker (the Noise-authenticated remote key), so nothing is relayed.
 */
export type WireMessage =
  /** Sender's own live orders: the snapshot right after the channel opens, then each new order. */
  | { type: 'orders'; orders: SignedOrder[] }
  /** Sender withdraws its orders. */
  | { type: 'cancel'; ids: Uint8Array[] }
  /** What is left of the sender's order after a fill (base units); 0 removes it. */
  | { type: 'update'; id: Uint8Array; remaining: bigint }
  /** Liveness and round-trip measurement; the receiver answers with a pong carrying the same nonce. */
  | { type: 'ping'; nonce: bigint }
  | { type: 'pong'; nonce: bigint }
  /**
   * A taker asks to take `amount` base units of one of the receiver's orders, bringing its own swap keys.
   * `signature` is the taker's (see takeRequestDigest in src/p2p/wire-take.ts): bound to both identities
   * and the connection's handshake hash, so it cannot be replayed elsewhere.
   */
  | {
      type: 'take-request'
      requestId: Uint8Array
      orderId: Uint8Array
      amount: bigint
      taker: PartyKeys
      signature: Uint8Array
    }
  /** The maker's answer: accepted with the complete swap terms it signs, or refused with a reason code. */
  | { type: 'take-response'; requestId: Uint8Array; accepted: true; terms: TakeTerms; signature: Uint8Array }
  | { type: 'take-response'; requestId: Uint8Array; accepted: false; reason: string }
  /**
   * A hint to the counterparty of a swap: the sender just broadcast a lock or claim of swap `swapId`, so the
   * receiver's engine should read the chain now rather than at its next poll. Never trusted: it only wakes.
   */
  | { type: 'nudge'; swapId: Uint8Array }

/**
 * The keys a party brings to a swap. In one swap a party only receives or refunds on each chain, never
 * both, so one key per chain serves either role (docs/PROTOCOL.md, "Take request").
 */
export interface PartyKeys {
  /** 33-byte compressed secp256k1 key: the HTLC's claim key if this party receives BTC, else its refund key. */
  btcPubkey: Uint8Array
  /** 0x + 40 lower-case hex: the HTLC's recipient if this party receives on the EVM chain, else its sender. */
  evmAddress: string
}

/**
 * The complete terms of one swap, as the maker (the initiator) fixes them in an accepted take-response.
 * With the order (named by orderId) they determine both HTLCs field by field.
 */
export interface TakeTerms {
  orderId: Uint8Array
  /** Base units of the fill, within the order's minFill .. remaining. */
  baseAmount: bigint
  /** Quote units of the fill: exactly quoteForBase(order, baseAmount). */
  quoteAmount: bigint
  /** SHA-256 of the maker's 32-byte secret; the hashlock on both chains. */
  hashlock: Uint8Array
  /** Unix seconds: refund deadline of the maker's (initiator's) lock, the longer one. */
  makerDeadline: number
  /** Unix seconds: refund deadline of the taker's (participant's) lock. */
  takerDeadline: number
  maker: PartyKeys
  taker: PartyKeys
  /** Confirmations either side waits for on a lock on Bitcoin before acting on it. */
  btcConfirmations: number
  /** Confirmations either side waits for on a lock on the EVM chain before acting on it. */
  evmConfirmations: number
}

/** Sent in the protomux channel's open handshake. */
export interface ChannelHandshake {
  /** Protocol version; a peer closes a channel whose version it does not speak. */
  version: 1
  market: Market
}
