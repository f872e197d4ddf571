import { randomBytes } from 'node:crypto'
import c from 'compact-encoding'
import type { SwarmConnection } from 'hyperswarm'
import Protomux, { type Channel, type ProtomuxMessage } from 'protomux'
import { isSwarmswapError, SwarmswapError } from '../errors.js'
import { marketId, marketTopic } from '../orderbook/market.js'
import type { Market } from '../orderbook/types.js'
import { MisbehaviourScore, type Offence, type PeerLimits, TokenBucket } from './limits.js'
import type { WireMessage } from './messages.js'
import {
  decodeHandshake,
  decodeMessage,
  encodeHandshake,
  encodeMessage,
  PROTOCOL_NAME,
  PROTOCOL_VERSION,
} from './wire.js'

/** Messages the node handles; ping and pong are answered here. */
export type OrderMessage = Exclude<WireMessage, { type: 'ping' } | { type: 'pong' }>

export interface PeerHandlers {
  /** The remote opened the market's channel with a matching handshake: send it the snapshot. */
  onChannelOpen(peer: Peer, market: Market): void
  /** The market's channel closed (either side, or the connection went): its orders leave that book. */
  onChannelClose(peer: Peer, market: Market): void
  /** A decoded, size- and rate-checked message; its content is the node's to validate. */
  onMessage(peer: Peer, market: Market, message: OrderMessage): void
  /** The peer's score reached the ban threshold; the connection is being destroyed. */
  onBan(peer: Peer, offence: Offence, detail: string): void
  /** The connection closed; `lostContact` when this side closed it because the remote stopped answering. */
  onClose(peer: Peer, lostContact: boolean): void
}

/** Protocol of the connection-level hello channel (docs/PROTOCOL.md section 9). */
export const HELLO_PROTOCOL = 'swarmswap/hello'

/** The protomux channel id of a market's order book channel (with protocol PROTOCOL_NAME). */
export function channelId(market: Market): Buffer {
  const topic = marketTopic(market)
  return Buffer.from(topic.buffer, topic.byteOffset, topic.byteLength)
}

interface MarketChannel {
  market: Market
  channel: Channel<Uint8Array>
  message: ProtomuxMessage<Uint8Array>
  /** Set when the handshake checks out; protomux's own `opened` is still false inside onopen. */
  open: boolean
}

interface PendingPing {
  sentAt: number
  resolve: (ms: number) => void
  reject: (error: Error) => void
  timer: NodeJS.Timeout
}

/**
 * One swarm connection: one protomux channel per market both sides joined, every incoming message
 * rate-limited and size-capped before it is decoded, ping/pong liveness, and a misbehaviour score that
 * ends in a ban. Nothing thrown while handling a message escapes to the socket.
 */
export class Peer {
  readonly connection: SwarmConnection
  /** The remote identity, authenticated by Noise: the only maker whose orders this connection may carry. */
  readonly remotePublicKey: Uint8Array
  readonly remoteKeyHex: string
  readonly connectedAt = Date.now()
  readonly #limits: PeerLimits
  readonly #handlers: PeerHandlers
  readonly #mux: Protomux
  readonly #channels = new Map<string, MarketChannel>()
  readonly #messages: TokenBucket
  readonly #bytes: TokenBucket
  readonly #score: MisbehaviourScore
  readonly #pings = new Map<bigint, PendingPing>()
  readonly #liveness: NodeJS.Timeout
  readonly #helloTimer: NodeJS.Timeout
  /** The hello channel's one message type, once the channel is open; it carries the connection's pings. */
  #hello: ProtomuxMessage<Uint8Array> | null = null
  /** The nonce of the first ping on the hello channel; its pong proves the remote reads this connection. */
  readonly #helloNonce = randomNonce()
  #lastHeard = Date.now()
  #closed = false
  #lostContact = false

  constructor(connection: SwarmConnection, limits: PeerLimits, handlers: PeerHandlers) {
    this.connection = connection
    this.remotePublicKey = new Uint8Array(connection.remotePublicKey)
    this.remoteKeyHex = connection.remotePublicKey.toString('hex')
    this.#limits = limits
    this.#handlers = handlers
    const now = Date.now()
    this.#messages = new TokenBucket(limits.messagesPerSecond, limits.messagesPerSecond * 2, now)
    this.#bytes = new TokenBucket(limits.bytesPerSecond, limits.bytesPerSecond * 2, now)
    this.#score = new MisbehaviourScore(now)
    this.#mux = Protomux.from(connection)
    this.#liveness = setInterval(() => this.#checkLiveness(), limits.pingIntervalMs)
    this.#liveness.unref()
    this.#helloTimer = setTimeout(
      () => this.#loseContact(`no answer to hello within ${limits.helloTimeoutMs} ms`),
      limits.helloTimeoutMs,
    )
    this.#helloTimer.unref()
    connection.once('close', () => this.#onClose())
    this.#sayHello()
  }

  /**
   * Opens the hello channel, which both ends open on every connection, and pings on it once it opens. When
   * two peers dial each other at once, Hyperswarm can keep a different connection at each end, each
   * already dropped by the other: it looks open and carries nothing until a transport timeout many seconds
   * later. The pong of that first ping (a full round trip; an open message the remote sent before it
   * dropped the connection would not do) proves the connection alive, and its absence finds a dead one
   * within helloTimeoutMs.
   */
  #sayHello(): void {
    const channel = this.#mux.createChannel({
      protocol: HELLO_PROTOCOL,
      onopen: () =>
        this.#guard(() => {
          this.#hello = hello
          this.#sendHello({ type: 'ping', nonce: this.#helloNonce })
        }),
    })
    if (channel === null) return
    const hello = channel.addMessage({
      encoding: c.raw,
      onmessage: (bytes) => this.#guard(() => this.#receive(null, bytes)),
    })
    channel.open()
  }

  #sendHello(message: WireMessage): void {
    this.#hello?.send(encodeMessage(message))
  }

  get closed(): boolean {
    return this.#closed
  }

  /** Markets whose channel is open at both ends. */
  markets(): Market[] {
    return [...this.#channels.values()].filter((entry) => entry.open).map((entry) => entry.market)
  }

  /**
   * The connection's Noise handshake hash (64 bytes), the same at both ends and unique to this connection:
   * take signatures are bound to it so they cannot be replayed on another connection.
   */
  get handshakeHash(): Uint8Array {
    const hash: Uint8Array | null = this.connection.handshakeHash
    if (hash === null)
      throw new SwarmswapError('INTERNAL', `connection to ${this.remoteKeyHex} has no handshake`)
    return new Uint8Array(hash)
  }

  /** The misbehaviour score now (it decays; BAN_SCORE bans). */
  get misbehaviour(): number {
    return this.#score.current(Date.now())
  }

  hasChannel(market: Market): boolean {
    return this.#channels.get(marketId(market))?.open === true
  }

  /** Offers the market's channel; it opens when the remote offers it too (now or after a later join). */
  openChannel(market: Market): void {
    const key = marketId(market)
    if (this.#closed || this.#channels.has(key)) return
    const channel = this.#mux.createChannel<Uint8Array>({
      protocol: PROTOCOL_NAME,
      id: channelId(market),
      handshake: c.raw,
      onopen: (handshake) => this.#guard(() => this.#onChannelOpen(market, handshake)),
      onclose: () => this.#guard(() => this.#onChannelClose(key)),
    })
    if (channel === null) return
    // If the remote closes the channel and offers it again later (it left and rejoined), accept the offer.
    this.#mux.pair({ protocol: PROTOCOL_NAME, id: channelId(market) }, () =>
      this.#guard(() => this.openChannel(market)),
    )
    const message = channel.addMessage({
      encoding: c.raw,
      onmessage: (bytes) => this.#guard(() => this.#receive(market, bytes)),
    })
    this.#channels.set(key, { market, channel, message, open: false })
    channel.open(encodeHandshake({ version: PROTOCOL_VERSION, market }))
  }

  closeChannel(market: Market): void {
    const key = marketId(market)
    this.#mux.unpair({ protocol: PROTOCOL_NAME, id: channelId(market) })
    this.#channels.get(key)?.channel.close()
  }

  /** Sends on the market's channel; false when it is not open. */
  send(market: Market, message: WireMessage): boolean {
    const entry = this.#channels.get(marketId(market))
    if (entry === undefined || !entry.open) return false
    return entry.message.send(encodeMessage(message))
  }

  /** Sends several messages in one write (a snapshot's chunks). */
  sendAll(market: Market, messages: WireMessage[]): boolean {
    const entry = this.#channels.get(marketId(market))
    if (entry === undefined || !entry.open) return false
    entry.channel.cork()
    try {
      for (const message of messages) entry.message.send(encodeMessage(message))
    } finally {
      entry.channel.uncork()
    }
    return true
  }

  /** One ping/pong round trip on the market's channel, ms; rejects after peerTimeoutMs. */
  ping(market: Market): Promise<number> {
    const nonce = randomNonce()
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pings.delete(nonce)
        reject(
          new SwarmswapError(
            'TIMEOUT',
            `no pong from ${this.remoteKeyHex} within ${this.#limits.peerTimeoutMs} ms`,
          ),
        )
      }, this.#limits.peerTimeoutMs)
      this.#pings.set(nonce, { sentAt: performance.now(), resolve, reject, timer })
      if (!this.send(market, { type: 'ping', nonce })) {
        clearTimeout(timer)
        this.#pings.delete(nonce)
        reject(new SwarmswapError('NOT_FOUND', `no open ${marketId(market)} channel to ${this.remoteKeyHex}`))
      }
    })
  }

  /** Scores misbehaviour found by the node (signatures, bounds, foreign makers); may ban. */
  offend(offence: Offence, detail: string): void {
    if (this.#closed) return
    if (!this.#score.add(offence, Date.now())) return
    this.#handlers.onBan(this, offence, detail)
    this.close(new SwarmswapError('BAD_DATA', `peer banned: ${offence}: ${detail}`))
  }

  close(error?: Error): void {
    this.connection.destroy(error)
  }

  /** A frame from the market's channel, or from the hello channel (`market` null). */
  #receive(market: Market | null, bytes: Uint8Array): void {
    if (this.#closed) return
    const now = Date.now()
    this.#lastHeard = now
    // Rate first, then size, then decode: a flood or an oversized frame costs no parsing.
    if (!this.#messages.take(1, now) || !this.#bytes.take(bytes.byteLength, now)) {
      this.offend(
        'rate-limited',
        `over ${this.#limits.messagesPerSecond} msg/s or ${this.#limits.bytesPerSecond} B/s`,
      )
      return
    }
    if (bytes.byteLength > this.#limits.maxMessageBytes) {
      this.offend('oversized', `${bytes.byteLength} bytes`)
      return
    }
    let message: WireMessage
    try {
      message = decodeMessage(bytes, { maxMessageBytes: this.#limits.maxMessageBytes })
    } catch (error) {
      if (!isSwarmswapError(error, 'BAD_DATA')) throw error
      this.offend(offenceOf(error), error.message)
      return
    }
    switch (message.type) {
      case 'ping':
        if (market === null) this.#sendHello({ type: 'pong', nonce: message.nonce })
        else this.send(market, { type: 'pong', nonce: message.nonce })
        return
      case 'pong':
        this.#onPong(message.nonce)
        return
      default:
        if (market === null) this.offend('invalid', `${message.type} on the hello channel`)
        else this.#handlers.onMessage(this, market, message)
    }
  }

  #onPong(nonce: bigint): void {
    if (nonce === this.#helloNonce) clearTimeout(this.#helloTimer)
    const pending = this.#pings.get(nonce)
    if (pending === undefined) return // an answer to a liveness ping, or late: only #lastHeard matters
    this.#pings.delete(nonce)
    clearTimeout(pending.timer)
    pending.resolve(performance.now() - pending.sentAt)
  }

  #onChannelOpen(market: Market, handshakeBytes: Uint8Array): void {
    const key = marketId(market)
    let handshake: ReturnType<typeof decodeHandshake>
    try {
      handshake = decodeHandshake(handshakeBytes)
    } catch (error) {
      if (!isSwarmswapError(error, 'BAD_DATA')) throw error
      this.#channels.get(key)?.channel.close()
      // Another version may lay out its handshake differently: not misbehaviour, the channel just stays shut.
      if (error.details.reason !== 'version') this.offend(offenceOf(error), `handshake: ${error.message}`)
      return
    }
    if (handshake.version !== PROTOCOL_VERSION || marketId(handshake.market) !== key) {
      // A version we do not speak is not misbehaviour: the channel just stays shut.
      this.#channels.get(key)?.channel.close()
      return
    }
    const entry = this.#channels.get(key)
    if (entry === undefined) return
    entry.open = true
    this.#lastHeard = Date.now()
    this.#handlers.onChannelOpen(this, market)
  }

  #onChannelClose(key: string): void {
    const entry = this.#channels.get(key)
    if (entry === undefined) return
    this.#channels.delete(key)
    this.#handlers.onChannelClose(this, entry.market)
  }

  /** Pings on the hello channel; a peer silent (on every channel) for peerTimeoutMs is dropped. */
  #checkLiveness(): void {
    if (this.#hello === null) {
      this.#lastHeard = Date.now() // the hello timer watches over a connection until its hello opens
      return
    }
    if (Date.now() - this.#lastHeard > this.#limits.peerTimeoutMs) {
      this.#loseContact(`peer silent for over ${this.#limits.peerTimeoutMs} ms`)
      return
    }
    this.#sendHello({ type: 'ping', nonce: randomNonce() })
  }

  #loseContact(why: string): void {
    if (this.#closed) return
    this.#lostContact = true
    this.close(new SwarmswapError('TIMEOUT', why))
  }

  #onClose(): void {
    if (this.#closed) return
    this.#closed = true
    clearInterval(this.#liveness)
    clearTimeout(this.#helloTimer)
    for (const pending of this.#pings.values()) {
      clearTimeout(pending.timer)
      pending.reject(new SwarmswapError('CLOSED', `connection to ${this.remoteKeyHex} closed`))
    }
    this.#pings.clear()
    for (const key of [...this.#channels.keys()]) this.#guard(() => this.#onChannelClose(key))
    this.#guard(() => this.#handlers.onClose(this, this.#lostContact))
  }

  /**
   * Runs a socket-driven handler so nothing it throws reaches protomux (which would destroy the stream
   * without a ban or a trace). A bug in our own code is reported as a warning; the peer stays connected.
   */
  #guard(run: () => void): void {
    try {
      run()
    } catch (error) {
      process.emitWarning(`swarmswap: error handling a message from ${this.remoteKeyHex}: ${String(error)}`)
    }
  }
}

function randomNonce(): bigint {
  return randomBytes(8).readBigUInt64BE()
}

function offenceOf(error: SwarmswapError): Offence {
  const reason = error.details.reason
  return reason === 'oversized' || reason === 'unknown-type' || reason === 'invalid' ? reason : 'malformed'
}
