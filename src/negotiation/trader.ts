import { SwarmswapError } from '../errors.js'
import type { OrderbookNode } from '../orderbook/node.js'
import { quoteForBase } from '../orderbook/order.js'
import type { IncomingTake, TakeDecision } from '../orderbook/take-maker.js'
import type { Market, SignedOrder } from '../orderbook/types.js'
import type { PartyKeys, TakeTerms } from '../p2p/messages.js'
import type { SwapEngine } from '../swap/engine.js'
import { assertSwappable, chainOf, legsFromTerms } from '../swap/legs.js'
import { deadlineProblem, offerDeadlines } from '../swap/policy.js'
import { hashlockOf, swapIdFor } from '../swap/secret.js'
import type {
  ChainKind,
  LegAdapter,
  LegTerms,
  PeerOffence,
  ReputationStore,
  SwapRecord,
  SwapRole,
  SwapStore,
} from '../swap/types.js'

/** What a taker asks its store before agreeing to terms: whether a stored swap already uses the hashlock. */
export interface HashlockIndex {
  usesHashlock(hashlock: Uint8Array): boolean
}

export interface TraderOptions {
  node: OrderbookNode
  engine: SwapEngine
  store: SwapStore & ReputationStore & HashlockIndex
  adapters: Record<ChainKind, LegAdapter>
  /** Confirmations we require on each chain; as maker we offer these, as taker we accept no fewer. */
  confirmations: Record<ChainKind, number>
  /** Unix ms; default Date.now. */
  clock?: () => number
}

/**
 * How old a wallet view a maker's funds check may use, ms: takes arriving close together then share one read
 * of the chain instead of each waiting for its own.
 */
const RECENT_FUNDS_MS = 1000

/** How long an accepted take holds the answering line while the node sends it, ms. */
const COMMIT_WAIT_MS = 2_000

/** Final reasons that are the counterparty's fault, and the offence each records against it. */
const OFFENCES: [prefix: string, offence: PeerOffence][] = [
  ['counterparty-never-locked', 'backed-out'],
  ['counterparty-locked-too-late', 'backed-out'],
  ['bad-lock:', 'bad-lock'],
]

/**
 * Negotiation: turns take requests into swaps the engine drives. As maker it answers takes of its orders
 * with terms it derives (its secret's hash, deadlines from the timelock policy, its keys), refusing peers
 * with a bad record and takes its wallet cannot cover; as taker it takes an order and checks the maker's
 * terms against its own policy before anything is stored. Every swap is stored before its terms leave.
 */
export class Trader {
  readonly #options: TraderOptions
  readonly #clock: () => number
  /** Maker answers run one at a time, so two takes never both count the same funds as free. */
  #answering: Promise<unknown> = Promise.resolve()
  /** Swap id -> our leg, for swaps whose amount is promised but not yet locked (see #trackPromise). */
  readonly #promised = new Map<string, LegTerms>()
  readonly #onUpdate = (record: SwapRecord) => {
    this.#trackPromise(record)
    this.#recordOffence(record)
  }
  #opened = false
  #closed = false

  constructor(options: TraderOptions) {
    this.#options = options
    this.#clock = options.clock ?? Date.now
  }

  /** Starts answering takes of our orders. Safe to call twice. */
  async ready(): Promise<void> {
    if (this.#closed) throw new SwarmswapError('CLOSED', 'the trader was closed')
    if (this.#opened) return
    this.#opened = true
    for (const record of this.#options.store.active()) this.#trackPromise(record)
    this.#options.engine.on('update', this.#onUpdate)
    this.#options.node.setTakeHandler((take) => this.#answer(take))
  }

  /** Stops answering takes (they are refused 'busy'); swaps keep running in the engine. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#options.node.setTakeHandler(null)
    this.#options.engine.off('update', this.#onUpdate)
    await this.#answering.catch(() => {})
  }

  /**
   * Takes `amount` base units of the order `orderId` (hex): negotiates with its maker, checks the terms,
   * stores the swap and hands it to the engine. Throws NOT_FOUND, TAKE_REFUSED, TIMEOUT, BAD_DATA,
   * INSUFFICIENT_FUNDS, or POLICY-breaking terms as TAKE_REFUSED with details.reason.
   */
  async take(params: { orderId: string; amount: bigint; timeoutMs?: number }): Promise<SwapRecord> {
    const { node, engine, store } = this.#options
    const found = node.findOrder(params.orderId.toLowerCase())
    if (!found) throw new SwarmswapError('NOT_FOUND', `order ${params.orderId} is not in any joined book`)
    assertSwappable(found.market)
    const { asset, amount } = takerSends(found.market, found.order, params.amount)
    const keyIndex = store.allocateKeyIndex()
    // Heights before asking: the maker may lock before its acceptance even reaches us.
    const [, taker, tips] = await Promise.all([
      this.#assertFunds(asset, amount),
      this.#partyKeys(keyIndex),
      this.#tips(),
    ])
    const startHeights = tips.heights
    const result = await node.take({
      orderId: params.orderId,
      amount: params.amount,
      taker,
      ...(params.timeoutMs === undefined ? {} : { timeoutMs: params.timeoutMs }),
    })
    const terms = result.acceptance.terms
    const problem = this.#termsProblem(terms, (await this.#tips()).now)
    if (problem !== null) {
      throw new SwarmswapError('TAKE_REFUSED', `the maker's terms break our policy: ${problem}`, {
        details: { reason: problem },
      })
    }
    const record = newRecord({
      id: swapIdFor({
        requestId: result.request.requestId,
        orderId: result.order.id,
        maker: result.order.maker,
        taker: node.publicKey,
      }),
      role: 'taker',
      market: result.market,
      order: result.order,
      peer: result.peer,
      terms,
      keyIndex,
      startHeights,
      now: this.#clock(),
    })
    engine.create(record)
    return record
  }

  /**
   * Answers one take at a time. An acceptance holds the line until the node commits or drops it (or a moment
   * passes without either), so the next take's funds check already counts this one's amount, and a taker
   * that vanishes (or is banned) before its answer goes out holds up nobody.
   */
  #answer(take: IncomingTake): Promise<TakeDecision> {
    let committed = () => {}
    const settled = new Promise<void>((resolve) => {
      committed = resolve
      setTimeout(resolve, COMMIT_WAIT_MS).unref()
    })
    const answer = this.#answering.then(async () => {
      const decision = await this.#decideTake(take)
      if (!('accept' in decision)) return decision
      const commit = decision.commit
      return {
        ...decision,
        commit: () => {
          try {
            commit?.()
          } finally {
            committed()
          }
        },
        release: () => committed(),
      }
    })
    this.#answering = answer.then(
      (decision) => ('accept' in decision ? settled : undefined),
      () => {},
    )
    return answer
  }

  async #decideTake(take: IncomingTake): Promise<TakeDecision> {
    const { node, engine, store } = this.#options
    if (store.refusedUntil(take.peer, this.#clock()) !== null) return { refuse: 'peer-refused' }
    try {
      assertSwappable(take.market)
    } catch {
      return { refuse: 'unsupported-market' }
    }
    const id = swapIdFor({
      requestId: take.request.requestId,
      orderId: take.order.id,
      maker: node.publicKey,
      taker: Buffer.from(take.peer, 'hex'),
    })
    if (store.get(id)) return { refuse: 'duplicate-request' }
    const baseAmount = take.request.amount
    const quoteAmount = quoteForBase(take.order, baseAmount)
    const makerAsset = take.order.side === 'sell' ? take.market.base : take.market.quote
    const makerAmount = take.order.side === 'sell' ? baseAmount : quoteAmount
    const keyIndex = store.allocateKeyIndex()
    const [recentlyFree, tips, makerKeys] = await Promise.all([
      this.#free(makerAsset, RECENT_FUNDS_MS),
      this.#tips(),
      this.#partyKeys(keyIndex),
    ])
    // A recent view can only miss funds received since: it is read afresh before refusing.
    if (recentlyFree < makerAmount && (await this.#free(makerAsset)) < makerAmount) {
      return { refuse: 'insufficient-funds' }
    }
    const terms: TakeTerms = {
      orderId: take.order.id,
      baseAmount,
      quoteAmount,
      hashlock: hashlockOf(engine.secretFor(id)),
      ...offerDeadlines(engine.policy, tips.now),
      maker: makerKeys,
      taker: take.request.taker,
      btcConfirmations: this.#options.confirmations.bitcoin,
      evmConfirmations: this.#options.confirmations.evm,
    }
    const record = newRecord({
      id,
      role: 'maker',
      market: take.market,
      order: take.order,
      peer: take.peer,
      terms,
      keyIndex,
      startHeights: tips.heights,
      now: this.#clock(),
    })
    // Stored when the terms go out, not before: a take the node drops afterwards must never be locked for.
    // A crash between storing and sending costs nothing: the taker only ever locks after our lock. The engine
    // starts on it once the terms have left, so a crash right after our lock did not stop them on the way.
    return {
      accept: terms,
      commit: () => engine.create(record, { held: true }),
      sent: () => engine.start(record.id),
    }
  }

  /**
   * Why a taker refuses the maker's terms, or null. Synchronous, so between this check and storing the swap
   * no other take can store one with the same hashlock.
   */
  #termsProblem(terms: TakeTerms, now: number): string | null {
    const deadlines = deadlineProblem(this.#options.engine.policy, terms, now)
    if (deadlines !== null) return deadlines
    if (terms.btcConfirmations < this.#options.confirmations.bitcoin) return 'too-few-btc-confirmations'
    if (terms.evmConfirmations < this.#options.confirmations.evm) return 'too-few-evm-confirmations'
    // One maker lock must never count for two swaps: our EVM address is the same in every swap, so two swaps
    // with one hashlock, amount and deadline name one and the same EVM lock (docs/PROTOCOL.md 12.1).
    if (this.#options.store.usesHashlock(terms.hashlock)) return 'hashlock-reused'
    return null
  }

  async #assertFunds(asset: string, amount: bigint): Promise<void> {
    const free = await this.#free(asset)
    if (free < amount) {
      throw new SwarmswapError('INSUFFICIENT_FUNDS', `not enough ${asset}: ${free} free, ${amount} needed`, {
        details: { asset, needed: amount.toString(), available: free.toString() },
      })
    }
  }

  /**
   * What we hold of `asset` minus what active swaps have promised but not yet locked; `maxAgeMs`: a wallet
   * view read at most this long ago will do (LegAdapter.spendable).
   */
  async #free(asset: string, maxAgeMs = 0): Promise<bigint> {
    const spendable = await this.#options.adapters[chainOf(asset)].spendable(asset, { maxAgeMs })
    let promised = 0n
    for (const own of this.#promised.values()) if (own.asset === asset) promised += own.amount
    return spendable - promised
  }

  /** Keeps #promised in step with the swaps: an amount is promised from agreement until our lock is signed. */
  #trackPromise(record: SwapRecord): void {
    if (record.status === 'negotiated' || record.status === 'counter-locked') {
      this.#promised.set(record.id, record.role === 'maker' ? record.makerLeg : record.takerLeg)
    } else {
      this.#promised.delete(record.id)
    }
  }

  async #partyKeys(keyIndex: number): Promise<PartyKeys> {
    const [btc, evm] = await Promise.all([
      this.#options.adapters.bitcoin.partyKey(keyIndex),
      this.#options.adapters.evm.partyKey(keyIndex),
    ])
    if (!btc.btcPubkey || !evm.evmAddress)
      throw new SwarmswapError('INTERNAL', 'an adapter gave no party key')
    return { btcPubkey: btc.btcPubkey, evmAddress: evm.evmAddress }
  }

  /** Both chains' heights and the swap clock: the latest of the wall clock and both chain times. */
  async #tips(): Promise<{ heights: Record<ChainKind, number>; now: number }> {
    const [bitcoin, evm] = await Promise.all([
      this.#options.adapters.bitcoin.tip(),
      this.#options.adapters.evm.tip(),
    ])
    const now = Math.max(Math.floor(this.#clock() / 1000), bitcoin.time, evm.time)
    return { heights: { bitcoin: bitcoin.height, evm: evm.height }, now }
  }

  #recordOffence(record: SwapRecord): void {
    if (record.status !== 'failed' && record.status !== 'refunded') return
    const match = OFFENCES.find(([prefix]) => record.reason?.startsWith(prefix))
    if (match) this.#options.store.recordOffence(record.peer, match[1], this.#clock())
  }
}

/** What the taker sends for `amount` base units of an order: quote for a sell order, base for a buy. */
function takerSends(market: Market, order: SignedOrder, amount: bigint): { asset: string; amount: bigint } {
  return order.side === 'sell'
    ? { asset: market.quote, amount: quoteForBase(order, amount) }
    : { asset: market.base, amount }
}

function newRecord(params: {
  id: string
  role: SwapRole
  market: Market
  order: SignedOrder
  peer: string
  terms: TakeTerms
  keyIndex: number
  startHeights: Record<ChainKind, number>
  now: number
}): SwapRecord {
  const { makerLeg, takerLeg } = legsFromTerms(params.market, params.order.side, params.terms)
  return {
    id: params.id,
    role: params.role,
    status: 'negotiated',
    market: params.market,
    orderId: Buffer.from(params.order.id).toString('hex'),
    peer: params.peer,
    makerLeg,
    takerLeg,
    keyIndex: params.keyIndex,
    startHeights: params.startHeights,
    pending: [],
    history: [{ at: params.now, status: 'negotiated', note: `terms agreed as ${params.role}` }],
    createdAt: params.now,
    updatedAt: params.now,
  }
}
