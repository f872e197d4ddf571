import { SwarmswapError } from '../errors.js'
import { DEFAULT_MAX_MESSAGE_BYTES } from './wire.js'

/** What one remote peer may cost this node. Every field is configurable per node. */
export interface PeerLimits {
  /** Largest wire message accepted, bytes; checked before the message is decoded. */
  maxMessageBytes: number
  /** Sustained messages per second per peer (all channels of its connection); bursts up to 2 s worth. */
  messagesPerSecond: number
  /** Sustained bytes per second per peer; bursts up to 2 s worth. */
  bytesPerSecond: number
  /** Live orders one maker may have in this node's books, across markets. */
  maxOrdersPerPeer: number
  /** How long a misbehaving identity stays banned, ms. */
  banMs: number
  /** A ping goes out on every open channel this often, ms. */
  pingIntervalMs: number
  /** A peer not heard from for this long is disconnected and its orders leave every book, ms. */
  peerTimeoutMs: number
  /** A new connection whose hello channel has not opened at both ends by then is dead and closed, ms. */
  helloTimeoutMs: number
}

export const DEFAULT_PEER_LIMITS: Readonly<PeerLimits> = Object.freeze({
  // The defaults of docs/PROTOCOL.md, sections 8 and 9.
  maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
  messagesPerSecond: 50,
  bytesPerSecond: 1024 * 1024,
  maxOrdersPerPeer: 1000,
  banMs: 10 * 60 * 1000,
  pingIntervalMs: 5_000,
  peerTimeoutMs: 15_000,
  helloTimeoutMs: 5_000,
})

/** Merges overrides into the defaults; every value must be a positive (integer where it counts) number. */
export function resolvePeerLimits(overrides: Partial<PeerLimits> = {}): PeerLimits {
  const limits: PeerLimits = { ...DEFAULT_PEER_LIMITS }
  for (const [key, value] of Object.entries(overrides) as [keyof PeerLimits, unknown][]) {
    if (value === undefined) continue
    if (!(key in DEFAULT_PEER_LIMITS)) {
      throw new SwarmswapError('INVALID_ARGUMENT', `unknown peer limit: ${key}`)
    }
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new SwarmswapError('INVALID_ARGUMENT', `peer limit ${key} must be a positive number`, {
        details: { key, value },
      })
    }
    limits[key] = value
  }
  return limits
}

/** A classic token bucket: `ratePerSecond` refill, `capacity` burst. Time is passed in, so tests need no clock. */
export class TokenBucket {
  readonly ratePerSecond: number
  readonly capacity: number
  #tokens: number
  #updatedAt: number

  constructor(ratePerSecond: number, capacity: number, now: number) {
    this.ratePerSecond = ratePerSecond
    this.capacity = capacity
    this.#tokens = capacity
    this.#updatedAt = now
  }

  /** Takes `cost` tokens if there are enough; otherwise takes nothing and returns false. */
  take(cost: number, now: number): boolean {
    const elapsedSeconds = Math.max(0, now - this.#updatedAt) / 1000
    this.#tokens = Math.min(this.capacity, this.#tokens + elapsedSeconds * this.ratePerSecond)
    this.#updatedAt = now
    if (cost > this.#tokens) return false
    this.#tokens -= cost
    return true
  }
}

/**
 * Kinds of misbehaviour and the score each adds; an identity reaching BAN_SCORE is banned. Protocol
 * violations score 60, so a second one within 20 s (before decay brings the first below 40) bans.
 */
export const OFFENCE_SCORES = Object.freeze({
  /** A message over the rate or byte budget (dropped). A short burst is tolerated; a flood is not. */
  'rate-limited': 10,
  /** An order beyond maxOrdersPerPeer (dropped). */
  'too-many-orders': 10,
  /** Bytes that do not decode, an unknown message type, or a message larger than maxMessageBytes. */
  malformed: 60,
  'unknown-type': 60,
  oversized: 60,
  /** Decodes, but breaks a rule: bounds, amounts, another market than the channel's. */
  invalid: 60,
  /** Orders, cancels or updates for a maker other than the connection's authenticated key (no relaying). */
  'foreign-maker': 60,
  /** A forged or broken order signature: deliberate, banned at once. */
  'bad-signature': 100,
})
export type Offence = keyof typeof OFFENCE_SCORES
export const BAN_SCORE = 100
/** Score forgiven per second, so rare honest mistakes (a clock-skewed burst) never add up to a ban. */
export const SCORE_DECAY_PER_SECOND = 1

/** Misbehaviour score of one connection; decays linearly with time. */
export class MisbehaviourScore {
  #score = 0
  #updatedAt: number

  constructor(now: number) {
    this.#updatedAt = now
  }

  /** Adds the offence's score; returns true when the total reaches BAN_SCORE. */
  add(offence: Offence, now: number): boolean {
    this.#score = this.current(now) + OFFENCE_SCORES[offence]
    this.#updatedAt = now
    return this.#score >= BAN_SCORE
  }

  /** The score now, after decay (0 for a peer that never misbehaved). */
  current(now: number): number {
    const decayed = (Math.max(0, now - this.#updatedAt) / 1000) * SCORE_DECAY_PER_SECOND
    return Math.max(0, this.#score - decayed)
  }
}

export interface Ban {
  /** Hex of the banned identity public key. */
  publicKey: string
  /** Unix ms when the ban ends. */
  until: number
  reason: string
}

/** Banned identities with their expiry. Expired bans are dropped lazily on every read. */
export class BanList {
  readonly #bans = new Map<string, Ban>()

  ban(publicKeyHex: string, reason: string, durationMs: number, now: number): Ban {
    const ban = { publicKey: publicKeyHex, until: now + durationMs, reason }
    this.#bans.set(publicKeyHex, ban)
    return ban
  }

  isBanned(publicKeyHex: string, now: number): boolean {
    const ban = this.#bans.get(publicKeyHex)
    if (ban === undefined) return false
    if (ban.until > now) return true
    this.#bans.delete(publicKeyHex)
    return false
  }

  /** The bans still in force. */
  list(now: number): Ban[] {
    for (const key of [...this.#bans.keys()]) this.isBanned(key, now)
    return [...this.#bans.values()].map((ban) => ({ ...ban }))
  }
}
