import { EventEmitter } from 'node:events'
import { mkdir } from 'node:fs/promises'
import type { SwarmConnection } from 'hyperswarm'
import { isSwarmswapError, SwarmswapError } from '../errors.js'
import { type Identity, loadOrCreateIdentity } from '../p2p/identity.js'
import {
  type Ban,
  BanList,
  type Offence,
  type PeerLimits,
  resolvePeerLimits,
  TokenBucket,
} from '../p2p/limits.js'
import type { WireMessage } from '../p2p/messages.js'
import { type OrderMessage, Peer } from '../p2p/peer.js'
import { SignatureVerifier } from '../p2p/signature-verifier.js'
import { type DhtPeerAddress, Swarm } from '../p2p/swarm.js'
import { chunkOrders, DEFAULT_MAX_MESSAGE_BYTES } from '../p2p/wire.js'
import { toHex } from '../p2p/wire-codec.js'
import { OrderBook } from './book.js'
import { type JournalOrder, liveOrders, OrderJournal } from './journal.js'
import { assertMarket, marketId, marketTopic } from './market.js'
import {
  type CreateOrderParams,
  createOrder,
  orderIdHex,
  orderSigningMessage,
  validateOrder,
} from './order.js'
import { TakeAnswerer, type TakeHandler } from './take-maker.js'
import { type TakeParams, TakeRequester, type TakeResult } from './take-taker.js'
import type { Market, NetworkName, SignedOrder } from './types.js'

/** How long a maker's orders stay while a replacement connection to it opens its channel. */
const REPLACEMENT_GRACE_MS = 2_000
/**
 * Swap hints (nudges) sent per second to one peer, bursts twice that: well inside the receiver's message
 * budget (section 8) beside takes and pings. A hint over the budget is just not sent; the peer polls.
 */
const NUDGES_PER_SECOND = 10

export interface OrderbookNodeOptions {
  network: NetworkName
  /** Local bootstrap list (regtest/tests), host:port objects; omitted on real networks = Hyperswarm's public bootstrap. */
  bootstrap?: DhtPeerAddress[]
  /** Bind the DHT to this host; tests and regtest: '127.0.0.1'. */
  host?: string
  /** Directory for the identity file and the corestore journal. */
  storageDir: string
  limits?: Partial<PeerLimits>
}

export interface PeerSummary {
  /** Hex of the peer's identity public key. */
  publicKey: string
  /** marketId of every market whose channel is open with this peer. */
  markets: string[]
  /** Unix ms. */
  connectedAt: number
  /** Misbehaviour score now, rounded down (decays by 1 per second; 100 bans). */
  misbehaviour: number
}

export interface OrderbookNodeEvents {
  'peer-add': [PeerSummary]
  'peer-remove': [PeerSummary]
  'peer-banned': [Ban]
  /** A peer (identity hex) hinted that swap `swapId` (hex) moved on chain. Unchecked: see nudge(). */
  nudge: [peer: string, swapId: string]
}

interface JoinedMarket {
  market: Market
  topic: Uint8Array
  book: OrderBook
  joining: Promise<void>
}

/**
 * One trader's order book node: a persistent identity, a Hyperswarm on which each joined market is a
 * topic, one protomux channel per market per connection, the books, and the journal of its own orders.
 * Orders come only from their maker's own connection (nothing is relayed), so a book holds exactly the
 * orders of the makers reachable now.
 */
export class OrderbookNode extends EventEmitter<OrderbookNodeEvents> {
  readonly options: OrderbookNodeOptions
  readonly limits: PeerLimits
  readonly #journal: OrderJournal
  readonly #bans = new BanList()
  readonly #verifier = new SignatureVerifier()
  /** Per peer, the promise of its last message being applied (see #onMessage). */
  readonly #inbox = new WeakMap<Peer, Promise<void>>()
  readonly #markets = new Map<string, JoinedMarket>()
  readonly #peers = new Set<Peer>()
  /** Own live orders of every market, joined or not, by id hex. */
  readonly #own = new Map<string, JournalOrder>()
  /** Own orders filled in this session, until they expire: a take of one is refused for its amount, not as gone. */
  readonly #filled = new Map<string, SignedOrder>()
  readonly #timers = new Set<NodeJS.Timeout>()
  /** Per peer, the budget of nudges we may send it. */
  readonly #nudgeBudgets = new WeakMap<Peer, TokenBucket>()
  readonly #answerer = new TakeAnswerer({
    identity: () => this.#requireIdentity(),
    ownOrder: (idHex) => this.#ownOrder(idHex),
    fill: (idHex, baseAmount) => this.fill(idHex, baseAmount),
  })
  readonly #requester = new TakeRequester({
    identity: () => this.#requireIdentity(),
    findOrder: (idHex) => this.findOrder(idHex),
    makerPeer: (makerHex, market) => this.#channelTo(makerHex, market),
  })
  #identity: Identity | null = null
  #swarm: Swarm | null = null
  #opening: Promise<void> | null = null
  #closing: Promise<void> | null = null
  #expiryTimer: NodeJS.Timeout | null = null
  #expiryAt = Number.POSITIVE_INFINITY

  constructor(options: OrderbookNodeOptions) {
    super()
    this.options = options
    this.limits = resolvePeerLimits(options.limits)
    this.#journal = new OrderJournal(options.storageDir)
  }

  /** The identity public key (after ready). */
  get publicKey(): Uint8Array {
    return this.#requireIdentity().publicKey
  }

  /** Loads the identity, replays the journal, starts the swarm and rejoins the markets of live own orders. */
  ready(): Promise<void> {
    this.#opening ??= this.#open()
    return this.#opening
  }

  async #open(): Promise<void> {
    await mkdir(this.options.storageDir, { recursive: true, mode: 0o700 })
    this.#identity = await loadOrCreateIdentity(this.options.storageDir)
    await this.#journal.ready()
    const nowS = Date.now() / 1000
    for (const [id, own] of liveOrders(await this.#journal.events())) {
      if (own.order.expiry > nowS) this.#own.set(id, own)
    }
    this.#swarm = new Swarm({
      identity: this.#identity,
      network: this.options.network,
      ...(this.options.bootstrap === undefined ? {} : { bootstrap: this.options.bootstrap }),
      ...(this.options.host === undefined ? {} : { host: this.options.host }),
      isBanned: (key) => this.#bans.isBanned(key, Date.now()),
      onConnection: (connection) => this.#onConnection(connection),
    })
    await this.#swarm.ready()
    this.#verifier.ready()
    const markets = new Map(
      [...this.#own.values()].map(({ order }) => [marketId(order.market), order.market]),
    )
    await Promise.all([...markets.values()].map((market) => this.join(market)))
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#opening?.catch(() => {})
      for (const timer of this.#timers) clearTimeout(timer)
      this.#timers.clear()
      this.#answerer.close()
      this.#requester.close()
      if (this.#expiryTimer !== null) clearTimeout(this.#expiryTimer)
      await this.#swarm?.close()
      await this.#verifier.close()
      await this.#journal.close()
    })()
    return this.#closing
  }

  /** Announces on the market's topic and looks it up; creates the book (holding the node's own orders). */
  async join(market: Market): Promise<void> {
    const swarm = this.#requireSwarm()
    assertMarket(market)
    const key = marketId(market)
    const joined = this.#markets.get(key)
    if (joined !== undefined) return joined.joining
    const topic = marketTopic(market)
    const book = new OrderBook(market)
    book.subscribe((change) => {
      if (change.type === 'added') this.#armExpiry(change.entry.order.expiry * 1000)
    })
    const entry: JoinedMarket = { market, topic, book, joining: Promise.resolve() }
    this.#markets.set(key, entry)
    for (const own of this.#own.values()) {
      if (marketId(own.order.market) === key) book.add(own.order, own.remaining)
    }
    for (const peer of this.#peers) peer.openChannel(market)
    entry.joining = swarm.join(topic)
    return entry.joining
  }

  /** Stops announcing the market, closes its channels and drops its book. Own orders stay in the journal. */
  async leave(market: Market): Promise<void> {
    const key = marketId(market)
    const joined = this.#markets.get(key)
    if (joined === undefined) return
    this.#markets.delete(key)
    for (const peer of this.#peers) peer.closeChannel(market)
    joined.book.clear('maker-gone')
    await this.#swarm?.leave(joined.topic)
  }

  /** The market's book; the market must be joined. */
  book(market: Market): OrderBook {
    const joined = this.#markets.get(marketId(market))
    if (joined === undefined)
      throw new SwarmswapError('NOT_FOUND', `market ${marketId(market)} is not joined`)
    return joined.book
  }

  /** The order with this id (hex) in a joined book, with its market. */
  findOrder(idHex: string): { market: Market; order: SignedOrder } | undefined {
    for (const { market, book } of this.#markets.values()) {
      const entry = book.get(idHex.toLowerCase())
      if (entry !== undefined) return { market, order: entry.order }
    }
    return undefined
  }

  /** Signs an order, journals it, adds it to the local book and sends it on every channel of its market. */
  async place(params: Omit<CreateOrderParams, 'market'> & { market: Market }): Promise<SignedOrder> {
    const identity = this.#requireIdentity()
    this.#assertOpen()
    const order = createOrder(params, identity)
    await this.#journal.append({ type: 'placed', order })
    const id = orderIdHex(order)
    this.#own.set(id, { order, remaining: order.amount })
    this.#markets.get(marketId(order.market))?.book.add(order)
    this.#broadcast(order.market, { type: 'orders', orders: [order] })
    return order
  }

  /** Withdraws an own order everywhere. */
  async cancel(idHex: string): Promise<void> {
    const own = this.#requireOwn(idHex)
    await this.#journal.append({ type: 'cancelled', id: own.order.id })
    this.#own.delete(idHex.toLowerCase())
    this.#markets.get(marketId(own.order.market))?.book.remove(idHex, 'cancelled')
    this.#broadcast(own.order.market, { type: 'cancel', ids: [own.order.id] })
  }

  /** Records a fill of `baseAmount` of an own order: the remainder shrinks (0 removes it) everywhere. */
  async fill(idHex: string, baseAmount: bigint): Promise<void> {
    const own = this.#requireOwn(idHex)
    if (baseAmount <= 0n || baseAmount > own.remaining) {
      throw new SwarmswapError('INVALID_ARGUMENT', `fill of ${baseAmount} is not in 1..${own.remaining}`)
    }
    const remaining = own.remaining - baseAmount
    // Taken off before the journal write, so a fill or take checked meanwhile sees the smaller remainder.
    if (remaining === 0n) {
      this.#own.delete(idHex.toLowerCase())
      this.#filled.set(idHex.toLowerCase(), own.order)
    } else this.#own.set(idHex.toLowerCase(), { order: own.order, remaining })
    await this.#journal.append({ type: 'updated', id: own.order.id, remaining })
    this.#markets.get(marketId(own.order.market))?.book.setRemaining(idHex, remaining)
    this.#broadcast(own.order.market, { type: 'update', id: own.order.id, remaining })
  }

  /**
   * Who decides on take requests for the node's own orders (docs/PROTOCOL.md 7.5). The node has checked
   * the signature, the order, replays and the amount first; on accept it takes the amount off the order
   * before the signed terms go out. Without a handler every take is refused 'busy'.
   */
  setTakeHandler(handler: TakeHandler | null): void {
    this.#answerer.setHandler(handler)
  }

  /**
   * Asks the maker of an order in a joined book to take `amount` of it. Resolves with the verified
   * request and acceptance; rejects NOT_FOUND, TAKE_REFUSED (details.reason), TIMEOUT, BAD_DATA, CLOSED
   * (the connection or node closed first) or INVALID_ARGUMENT (see TakeRequester.take).
   */
  take(params: TakeParams): Promise<TakeResult> {
    try {
      this.#requireSwarm()
    } catch (error) {
      return Promise.reject(error)
    }
    return this.#requester.take(params)
  }

  peers(): PeerSummary[] {
    return [...this.#peers].map(summarize)
  }

  /** One ping/pong round trip to the peer over the market's channel, ms. */
  ping(peerKeyHex: string, market: Market): Promise<number> {
    const peer = this.#channelTo(peerKeyHex, market)
    if (peer === undefined) {
      return Promise.reject(
        new SwarmswapError('NOT_FOUND', `no ${marketId(market)} channel to ${peerKeyHex}`),
      )
    }
    return peer.ping(market)
  }

  /**
   * Hints the peer (identity hex) over the market's channel that swap `swapId` moved on chain (we broadcast a
   * lock or claim). False when no channel is open or the hint budget is spent; a hint is never required.
   */
  nudge(peerKeyHex: string, market: Market, swapId: Uint8Array): boolean {
    const peer = this.#channelTo(peerKeyHex, market)
    if (peer === undefined) return false
    const now = Date.now()
    let budget = this.#nudgeBudgets.get(peer)
    if (budget === undefined) {
      budget = new TokenBucket(NUDGES_PER_SECOND, NUDGES_PER_SECOND * 2, now)
      this.#nudgeBudgets.set(peer, budget)
    }
    return budget.take(1, now) && peer.send(market, { type: 'nudge', swapId })
  }

  /** A live connection to the peer (identity hex) whose channel of the market is open. */
  #channelTo(peerKeyHex: string, market: Market): Peer | undefined {
    const key = peerKeyHex.toLowerCase()
    return [...this.#peers].find((p) => p.remoteKeyHex === key && !p.closed && p.hasChannel(market))
  }

  banned(): Ban[] {
    return this.#bans.list(Date.now())
  }

  #onConnection(connection: SwarmConnection): void {
    if (
      this.#closing !== null ||
      this.#bans.isBanned(connection.remotePublicKey.toString('hex'), Date.now())
    ) {
      connection.destroy()
      return
    }
    const peer = new Peer(connection, this.limits, {
      onChannelOpen: (p, market) => this.#sendSnapshot(p, market),
      onChannelClose: (p, market) => {
        this.#requester.drop(p, market)
        this.#dropMakerIfGone(p, market)
      },
      onMessage: (p, market, message) => this.#onMessage(p, market, message),
      onBan: (p, offence, detail) => this.#ban(p, offence, detail),
      onClose: (p, lostContact) => {
        this.#requester.drop(p)
        this.#peers.delete(p)
        this.emit('peer-remove', summarize(p))
        if (lostContact && this.#closing === null) this.#swarm?.rediscover()
      },
    })
    this.#peers.add(peer)
    for (const { market } of this.#markets.values()) peer.openChannel(market)
    this.emit('peer-add', summarize(peer))
  }

  /** The node's live own orders of the market, then the remainders of those partly filled. */
  #sendSnapshot(peer: Peer, market: Market): void {
    const key = marketId(market)
    const nowS = Date.now() / 1000
    const own = [...this.#own.values()].filter(
      (o) => marketId(o.order.market) === key && o.order.expiry > nowS,
    )
    if (own.length === 0) return
    const messages: WireMessage[] = chunkOrders(
      own.map((o) => o.order),
      Math.min(this.limits.maxMessageBytes, DEFAULT_MAX_MESSAGE_BYTES),
    )
    for (const o of own) {
      if (o.remaining !== o.order.amount)
        messages.push({ type: 'update', id: o.order.id, remaining: o.remaining })
    }
    peer.sendAll(market, messages)
  }

  /**
   * A maker's orders leave a book when its last channel for that market is gone. When two peers dial each
   * other at once, Hyperswarm keeps one connection and closes the other; if the survivor's channel is still
   * opening, the maker gets REPLACEMENT_GRACE_MS for it instead of its orders blinking out of the book.
   */
  #dropMakerIfGone(peer: Peer, market: Market, graceUsed = false): void {
    const others = [...this.#peers].filter(
      (p) => p !== peer && !p.closed && p.remoteKeyHex === peer.remoteKeyHex,
    )
    if (others.some((p) => p.hasChannel(market))) return
    if (others.length > 0 && !graceUsed) {
      const timer = setTimeout(() => {
        this.#timers.delete(timer)
        this.#dropMakerIfGone(peer, market, true)
      }, REPLACEMENT_GRACE_MS)
      timer.unref()
      this.#timers.add(timer)
      return
    }
    this.#markets.get(marketId(market))?.book.removeMaker(peer.remoteKeyHex)
  }

  /**
   * Messages of one peer are applied strictly in order (a cancel after the orders it cancels), but an
   * `orders` batch waits for its signatures to be verified off the event loop.
   */
  #onMessage(peer: Peer, market: Market, message: OrderMessage): void {
    const previous = this.#inbox.get(peer) ?? Promise.resolve()
    const next = previous
      .then(() => this.#apply(peer, market, message))
      .catch((error: unknown) => {
        if (!isSwarmswapError(error, 'CLOSED')) {
          process.emitWarning(
            `swarmswap: applying a message of ${peer.remoteKeyHex} failed: ${String(error)}`,
          )
        }
      })
    this.#inbox.set(peer, next)
  }

  async #apply(peer: Peer, market: Market, message: OrderMessage): Promise<void> {
    const joined = this.#markets.get(marketId(market))
    if (joined === undefined || peer.closed) return
    switch (message.type) {
      case 'orders':
        await this.#receiveOrders(peer, joined, message.orders)
        return
      case 'cancel':
        for (const id of message.ids) {
          if (!this.#isFromMaker(peer, joined.book, id)) return
          joined.book.remove(toHex(id), 'cancelled')
        }
        return
      case 'update': {
        if (!this.#isFromMaker(peer, joined.book, message.id)) return
        const entry = joined.book.get(toHex(message.id))
        if (entry === undefined) return
        // Fills only shrink an order; a larger remainder breaks the protocol.
        if (!joined.book.setRemaining(toHex(message.id), message.remaining)) {
          peer.offend(
            'invalid',
            `update of ${toHex(message.id)} to ${message.remaining} > ${entry.remaining}`,
          )
        }
        return
      }
      case 'take-request':
        // Answered on the order's own queue, so a slow answer does not hold up this peer's other messages.
        this.#answerer.receive(peer, market, message)
        return
      case 'take-response':
        this.#requester.receive(peer, market, message)
        return
      case 'nudge':
        // Only a hint: whoever listens checks the swap is theirs with this peer, and reads the chain.
        this.emit('nudge', peer.remoteKeyHex, toHex(message.swapId))
        return
    }
  }

  async #receiveOrders(peer: Peer, joined: JoinedMarket, orders: SignedOrder[]): Promise<void> {
    const foreign = orders.find((order) => toHex(order.maker) !== peer.remoteKeyHex)
    if (foreign !== undefined) {
      // Nothing is relayed: a batch with another maker's order is refused whole.
      peer.offend('foreign-maker', `order by ${toHex(foreign.maker)}`)
      return
    }
    const signed = await this.#verifier.verify(
      orders.map((order) => ({
        message: orderSigningMessage(order.id),
        signature: order.signature,
        publicKey: order.maker,
      })),
    )
    // The peer may have gone, been banned or left the market (or we did) while the signatures were checked.
    if (
      peer.closed ||
      !peer.hasChannel(joined.market) ||
      this.#markets.get(marketId(joined.market)) !== joined
    ) {
      return
    }
    if (signed.includes(false)) {
      peer.offend('bad-signature', `order ${orderIdHex(orders[signed.indexOf(false)] as SignedOrder)}`)
      return
    }
    const now = Date.now()
    let held = 0
    for (const { book } of this.#markets.values()) held += book.countOf(peer.remoteKeyHex)
    for (const order of orders) {
      if (peer.closed) return
      try {
        validateOrder(order, { now, market: joined.market, signatureVerified: true })
      } catch (error) {
        if (!isSwarmswapError(error, 'BAD_DATA')) throw error
        const offence = offenceOfOrder(error.details.reason)
        // Expiry is judged by our clock, which may differ from the maker's: dropped, never punished.
        if (offence !== null) peer.offend(offence, error.message)
        continue
      }
      const id = orderIdHex(order)
      if (joined.book.has(id)) continue // orders are immutable; a repeat changes nothing
      if (held >= this.limits.maxOrdersPerPeer) {
        peer.offend('too-many-orders', `over ${this.limits.maxOrdersPerPeer} live orders`)
        return
      }
      if (joined.book.add(order, order.amount, now)) held++
    }
  }

  /** Whether the order (if held) is the peer's own; a cancel or update of someone else's is an offence. */
  #isFromMaker(peer: Peer, book: OrderBook, id: Uint8Array): boolean {
    const entry = book.get(toHex(id))
    if (entry === undefined || toHex(entry.order.maker) === peer.remoteKeyHex) return true
    peer.offend('foreign-maker', `change of ${toHex(id)} by ${peer.remoteKeyHex}`)
    return false
  }

  #ban(peer: Peer, offence: Offence, detail: string): void {
    const key = peer.remoteKeyHex
    const ban = this.#bans.ban(key, `${offence}: ${detail}`, this.limits.banMs, Date.now())
    for (const p of this.#peers) if (p.remoteKeyHex === key && p !== peer) p.close()
    const timer = setTimeout(() => {
      this.#timers.delete(timer)
      this.#swarm?.forgive(key)
    }, this.limits.banMs)
    timer.unref()
    this.#timers.add(timer)
    this.emit('peer-banned', { ...ban })
  }

  #broadcast(market: Market, message: WireMessage): void {
    for (const peer of this.#peers) peer.send(market, message)
  }

  /** One timer for all books, armed for the earliest expiry; expired orders leave without waiting for a read. */
  #armExpiry(atMs: number): void {
    if (this.#closing !== null || atMs >= this.#expiryAt) return
    if (this.#expiryTimer !== null) clearTimeout(this.#expiryTimer)
    this.#expiryAt = atMs
    this.#expiryTimer = setTimeout(() => this.#expireAll(), Math.max(0, atMs - Date.now()) + 1)
    this.#expiryTimer.unref()
  }

  #expireAll(): void {
    this.#expiryTimer = null
    this.#expiryAt = Number.POSITIVE_INFINITY
    const nowS = Date.now() / 1000
    for (const [id, own] of this.#own) if (own.order.expiry <= nowS) this.#own.delete(id)
    for (const [id, order] of this.#filled) if (order.expiry <= nowS) this.#filled.delete(id)
    let next = Number.POSITIVE_INFINITY
    for (const { book } of this.#markets.values()) {
      book.expire()
      next = Math.min(next, book.nextExpiry() ?? Number.POSITIVE_INFINITY)
    }
    if (next !== Number.POSITIVE_INFINITY) this.#armExpiry(next * 1000)
  }

  /** An unexpired own order with what is left of it (0 once filled); undefined if unknown or cancelled. */
  #ownOrder(idHex: string): JournalOrder | undefined {
    const filled = this.#filled.get(idHex)
    const own = this.#own.get(idHex) ?? (filled === undefined ? undefined : { order: filled, remaining: 0n })
    return own !== undefined && own.order.expiry > Date.now() / 1000 ? own : undefined
  }

  #requireOwn(idHex: string): JournalOrder {
    this.#assertOpen()
    const own = this.#own.get(idHex.toLowerCase())
    if (own === undefined) throw new SwarmswapError('NOT_FOUND', `no live own order ${idHex}`)
    return own
  }

  #requireIdentity(): Identity {
    if (this.#identity === null) throw new SwarmswapError('CLOSED', 'the order book node is not ready')
    return this.#identity
  }

  #requireSwarm(): Swarm {
    this.#assertOpen()
    if (this.#swarm === null) throw new SwarmswapError('CLOSED', 'the order book node is not ready')
    return this.#swarm
  }

  #assertOpen(): void {
    if (this.#closing !== null) throw new SwarmswapError('CLOSED', 'the order book node is closed')
  }
}

/** What a rejected order costs its sender; null: dropped without a penalty. */
function offenceOfOrder(reason: unknown): Offence | null {
  if (reason === 'expired') return null
  if (reason === 'signature') return 'bad-signature'
  return 'invalid'
}

function summarize(peer: Peer): PeerSummary {
  return {
    publicKey: peer.remoteKeyHex,
    markets: peer.markets().map(marketId),
    connectedAt: peer.connectedAt,
    misbehaviour: Math.floor(peer.misbehaviour),
  }
}
