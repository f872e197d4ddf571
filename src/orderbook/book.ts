import { SwarmswapError } from '../errors.js'
import { toHex } from '../p2p/wire-codec.js'
import { ExpiryQueue, type ExpiryRecord, isExpired } from './book-expiry.js'
import { BookLevels } from './book-levels.js'
import { comparePrice } from './book-price.js'
import { BookSide } from './book-side.js'
import { orderIdHex } from './order.js'
import type { BookChange, BookEntry, DepthLevel, Market, SignedOrder } from './types.js'

/** Why an order left the book (a replacement by the same id is reported as 'replaced' by `add`). */
export type RemovalReason = 'cancelled' | 'filled' | 'expired' | 'maker-gone'

export interface OrderBookOptions {
  /** Clock, unix ms; default Date.now. Expiry is checked against it. */
  now?: () => number
  /**
   * Called with what a listener threw (the book and the other listeners carry on). Default: a process
   * warning, so a broken listener is visible without crashing the node.
   */
  onListenerError?: (error: unknown, change: BookChange) => void
}

/**
 * Smallest amount a taker may take of an entry now. The rule for a remainder below the order's minimum
 * fill: it stays takeable, but only as a whole, so partial fills never strand untakeable dust.
 */
export function minTake(entry: BookEntry): bigint {
  // biome-ignore lint/complexity/useMathMinMax: Math.min does not take bigints
  return entry.remaining < entry.order.minFill ? entry.remaining : entry.order.minFill
}

/** Whether a taker may take `amount` base units of the entry now (see `minTake`). */
export function canTake(entry: BookEntry, amount: bigint): boolean {
  return amount >= minTake(entry) && amount <= entry.remaining
}

/**
 * The live orders of one market, in memory: price-time priority per side, depth by exact price, expiry
 * by the clock, and a synchronous change feed. Pure bookkeeping: signatures, bounds and reachability
 * are checked by whoever feeds it (the node). Entries handed out are frozen; every change makes a new one.
 */
export class OrderBook {
  readonly market: Market
  readonly #now: () => number
  readonly #onListenerError: (error: unknown, change: BookChange) => void
  readonly #byId = new Map<string, BookEntry>()
  readonly #idsByMaker = new Map<string, Set<string>>()
  readonly #bids = new BookSide((a, b) => comparePrice(b.order, a.order) || compareTime(a, b))
  readonly #asks = new BookSide((a, b) => comparePrice(a.order, b.order) || compareTime(a, b))
  readonly #expiries = new ExpiryQueue()
  readonly #listeners = new Set<(change: BookChange) => void>()
  /** Changes not yet delivered: a listener that changes the book queues behind the change it is handling. */
  readonly #pending: BookChange[] = []
  readonly #bidLevels = new BookLevels('buy')
  readonly #askLevels = new BookLevels('sell')

  constructor(market: Market, options: OrderBookOptions = {}) {
    this.market = Object.freeze({ ...market })
    this.#now = options.now ?? Date.now
    this.#onListenerError = options.onListenerError ?? warnListenerError
  }

  get size(): number {
    return this.#byId.size
  }

  /**
   * Adds an order, or replaces the one with the same id (reported as 'removed' with reason 'replaced',
   * then 'added'; nothing if remaining and receivedAt are unchanged). A replacement keeps the held
   * receivedAt unless one is given. Returns false, changing nothing, if the order is for another market,
   * expired at now(), its price is not positive, or `remaining` (default: the amount) is not in 1..amount.
   */
  add(order: SignedOrder, remaining: bigint = order.amount, receivedAt?: number): boolean {
    if (receivedAt !== undefined && !Number.isFinite(receivedAt)) {
      throw new SwarmswapError('INVALID_ARGUMENT', `receivedAt is not a time: ${receivedAt}`)
    }
    if (
      !sameMarket(order.market, this.market) ||
      isExpired(order.expiry, this.#now()) ||
      order.priceNum <= 0n ||
      order.priceDen <= 0n ||
      remaining < 1n ||
      remaining > order.amount
    ) {
      return false
    }
    const idHex = orderIdHex(order)
    const held = this.#byId.get(idHex)
    const entry: BookEntry = Object.freeze({
      order,
      remaining,
      receivedAt: receivedAt ?? held?.receivedAt ?? this.#now(),
    })
    if (held !== undefined) {
      // The id is the hash of the body, so the same id is the same order: only these two can differ.
      if (held.remaining === remaining && held.receivedAt === entry.receivedAt) return true
      this.#unlink(idHex, held)
    }
    this.#link(idHex, entry, held)
    if (held !== undefined) this.#emit({ type: 'removed', entry: held, reason: 'replaced' })
    this.#emit({ type: 'added', entry })
    return true
  }

  /** Removes the order with this id (hex); false if the book does not hold it. */
  remove(idHex: string, reason: RemovalReason): boolean {
    const id = idHex.toLowerCase()
    const entry = this.#byId.get(id)
    if (entry === undefined) return false
    this.#unlink(id, entry)
    this.#emit({ type: 'removed', entry, reason })
    return true
  }

  /**
   * Sets what is left of an order after a fill: 0 removes it ('filled'); the same value changes nothing;
   * a value above the current remaining (so also above the amount) or below 0 is refused (false), since
   * fills only ever shrink an order. A remainder below minFill stays takeable as a whole (see `minTake`).
   */
  setRemaining(idHex: string, remaining: bigint): boolean {
    const id = idHex.toLowerCase()
    const held = this.#byId.get(id)
    if (held === undefined || remaining < 0n || remaining > held.remaining) return false
    if (remaining === 0n) return this.remove(id, 'filled')
    if (remaining === held.remaining) return true
    const entry: BookEntry = Object.freeze({ ...held, remaining })
    this.#byId.set(id, entry)
    this.#sideOf(entry.order).replace(held, entry)
    this.#levelsOf(entry.order).change(entry.order, remaining - held.remaining, 0)
    this.#emit({ type: 'updated', entry })
    return true
  }

  /** Drops every order of one maker (hex public key) as 'maker-gone'; returns how many. */
  removeMaker(makerHex: string): number {
    const ids = [...(this.#idsByMaker.get(makerHex.toLowerCase()) ?? [])]
    for (const id of ids) this.remove(id, 'maker-gone')
    return ids.length
  }

  /** Drops the orders whose expiry (unix s) is <= now(), earliest first; returns how many. */
  expire(): number {
    const nowMs = this.#now()
    const isLive = (record: ExpiryRecord) => this.#isLive(record)
    let removed = 0
    for (let record = this.#expiries.popExpired(nowMs, isLive); record !== undefined; ) {
      if (this.remove(record.idHex, 'expired')) removed++
      record = this.#expiries.popExpired(nowMs, isLive)
    }
    return removed
  }

  /** The earliest expiry (unix s) of the orders held, or null if none: when to call expire() next. */
  nextExpiry(): number | null {
    return this.#expiries.peek((record) => this.#isLive(record))?.expiry ?? null
  }

  get(idHex: string): BookEntry | undefined {
    return this.#byId.get(idHex.toLowerCase())
  }

  has(idHex: string): boolean {
    return this.#byId.has(idHex.toLowerCase())
  }

  /** The orders of one maker (hex public key), in the order the book took them in (O(k), no sort). */
  ordersOf(makerHex: string): BookEntry[] {
    const ids = this.#idsByMaker.get(makerHex.toLowerCase()) ?? []
    return Array.from(ids, (id) => this.#byId.get(id) as BookEntry)
  }

  /** How many orders of one maker (hex public key) the book holds, in O(1): for per-peer limits. */
  countOf(makerHex: string): number {
    return this.#idsByMaker.get(makerHex.toLowerCase())?.size ?? 0
  }

  /** Buy orders, best (highest price) first; equal prices by createdAt, then receivedAt, then id. */
  bids(): BookEntry[] {
    return this.#bids.entries.slice()
  }

  /** Sell orders, best (lowest price) first; equal prices by createdAt, then receivedAt, then id. */
  asks(): BookEntry[] {
    return this.#asks.entries.slice()
  }

  /**
   * Remaining amounts summed per exact price (reduced fraction), best first, at most `levels` levels per
   * side (default: all). Levels are maintained on every change, so this is one slice per side.
   */
  depth(levels = Number.POSITIVE_INFINITY): { bids: DepthLevel[]; asks: DepthLevel[] } {
    if (!(levels >= 0) || (levels !== Number.POSITIVE_INFINITY && !Number.isInteger(levels))) {
      throw new SwarmswapError('INVALID_ARGUMENT', `depth levels must be a whole number >= 0, not ${levels}`)
    }
    return { bids: this.#bidLevels.top(levels), asks: this.#askLevels.top(levels) }
  }

  /** Calls `listener` synchronously after every change, in order; returns the function that unsubscribes. */
  subscribe(listener: (change: BookChange) => void): () => void {
    // A wrapper per subscription, so subscribing the same function twice gives two independent ones.
    const subscription = (change: BookChange) => listener(change)
    this.#listeners.add(subscription)
    return () => {
      this.#listeners.delete(subscription)
    }
  }

  /**
   * Resolves once `predicate(book)` holds, checked now and after each change. Rejects with TIMEOUT after
   * `timeoutMs`, or with what the predicate threw.
   */
  waitFor(predicate: (book: OrderBook) => boolean, timeoutMs: number): Promise<void> {
    if (!(timeoutMs >= 0) || !Number.isFinite(timeoutMs)) {
      return Promise.reject(
        new SwarmswapError('INVALID_ARGUMENT', `timeoutMs must be >= 0, not ${timeoutMs}`),
      )
    }
    return new Promise((resolve, reject) => {
      let settled = false
      let timer: NodeJS.Timeout | undefined
      let unsubscribe = () => {}
      const settle = (error?: unknown) => {
        settled = true
        clearTimeout(timer)
        unsubscribe()
        if (error === undefined) resolve()
        else reject(error)
      }
      const check = () => {
        try {
          if (predicate(this)) settle()
        } catch (error) {
          settle(error ?? new SwarmswapError('INTERNAL', 'waitFor predicate threw a nullish value'))
        }
      }
      check()
      if (settled) return
      unsubscribe = this.subscribe(check)
      timer = setTimeout(
        () => settle(new SwarmswapError('TIMEOUT', `order book condition not met within ${timeoutMs} ms`)),
        timeoutMs,
      )
    })
  }

  /** Removes every order with one reason (e.g. 'maker-gone' when the node leaves the market). */
  clear(reason: RemovalReason): void {
    for (const id of [...this.#byId.keys()]) this.remove(id, reason)
  }

  #link(idHex: string, entry: BookEntry, replaced: BookEntry | undefined): void {
    this.#byId.set(idHex, entry)
    const makerHex = toHex(entry.order.maker)
    const ids = this.#idsByMaker.get(makerHex) ?? new Set<string>()
    this.#idsByMaker.set(makerHex, ids)
    ids.add(idHex)
    this.#sideOf(entry.order).insert(entry)
    this.#levelsOf(entry.order).change(entry.order, entry.remaining, 1)
    // The same order object re-added keeps its live record; a second one would never go stale.
    if (replaced?.order !== entry.order)
      this.#expiries.push({ expiry: entry.order.expiry, idHex, order: entry.order })
  }

  /** Takes an entry out of every index; its expiry record goes stale and is dropped lazily. */
  #unlink(idHex: string, entry: BookEntry): void {
    this.#byId.delete(idHex)
    const makerHex = toHex(entry.order.maker)
    const ids = this.#idsByMaker.get(makerHex)
    ids?.delete(idHex)
    if (ids?.size === 0) this.#idsByMaker.delete(makerHex)
    this.#sideOf(entry.order).remove(entry)
    this.#levelsOf(entry.order).change(entry.order, -entry.remaining, -1)
    // Stale expiry records would otherwise grow without bound under churn: rebuild at 2x + slack.
    if (this.#expiries.length > 2 * this.#byId.size + 1024) this.#expiries.compact((r) => this.#isLive(r))
  }

  #isLive(record: ExpiryRecord): boolean {
    // Identity, not id: a replacement pushes its own record, and the replaced one must count as stale.
    return this.#byId.get(record.idHex)?.order === record.order
  }

  #sideOf(order: SignedOrder): BookSide {
    return order.side === 'buy' ? this.#bids : this.#asks
  }

  #levelsOf(order: SignedOrder): BookLevels {
    return order.side === 'buy' ? this.#bidLevels : this.#askLevels
  }

  #emit(change: BookChange): void {
    this.#pending.push(change)
    if (this.#pending.length > 1) return // a listener is running; the outer loop delivers this in turn
    while (this.#pending.length > 0) {
      const next = this.#pending[0] as BookChange
      for (const listener of [...this.#listeners]) {
        if (!this.#listeners.has(listener)) continue // unsubscribed by an earlier listener
        try {
          listener(next)
        } catch (error) {
          this.#reportListenerError(error, next)
        }
      }
      this.#pending.shift()
    }
  }

  #reportListenerError(error: unknown, change: BookChange): void {
    try {
      this.#onListenerError(error, change)
    } catch {
      // The error reporter itself failed; the book must still stay consistent, so this is dropped.
    }
  }
}

/** Time priority within one price: the maker's createdAt, then local receipt, then the order id. */
function compareTime(a: BookEntry, b: BookEntry): number {
  return (
    a.order.createdAt - b.order.createdAt ||
    a.receivedAt - b.receivedAt ||
    Buffer.compare(a.order.id, b.order.id)
  )
}

function sameMarket(a: Market, b: Market): boolean {
  return a.network === b.network && a.base === b.base && a.quote === b.quote
}

function warnListenerError(error: unknown): void {
  process.emitWarning(new SwarmswapError('INTERNAL', 'an order book listener threw', { cause: error }))
}
