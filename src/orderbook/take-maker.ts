import { isSwarmswapError } from '../errors.js'
import type { Identity } from '../p2p/identity.js'
import type { TakeTerms } from '../p2p/messages.js'
import type { Peer } from '../p2p/peer.js'
import { encodeMessage } from '../p2p/wire.js'
import { toHex } from '../p2p/wire-codec.js'
import {
  acceptTakeRequest,
  REASON_PATTERN,
  type TakeAcceptance,
  type TakeBinding,
  type TakeRequest,
  type TakeResponse,
  takeAmountProblem,
  verifyTakeRequest,
} from '../p2p/wire-take.js'
import type { JournalOrder } from './journal.js'
import { marketId } from './market.js'
import { termsMismatch } from './take-terms.js'
import type { Market, SignedOrder } from './types.js'

/** A take request for one of the node's own orders that passed every check the node makes itself. */
export interface IncomingTake {
  market: Market
  order: SignedOrder
  /** What is left of the order now; the request's amount fits it. */
  remaining: bigint
  request: TakeRequest
  binding: TakeBinding
  /** Hex of the taker's identity (the connection's remote key). */
  peer: string
}

/**
 * Accept with the complete terms (the node signs them), or refuse with a reason code such as 'policy'.
 * `commit` runs once the node is about to send the acceptance (every re-check passed, the taker is still
 * there), just before it takes the amount off the order; if it throws, the take is refused 'policy'. A
 * handler stores its side of the trade there, so a trade is recorded exactly when its terms go out.
 * `release` runs instead when the node drops the acceptance (the order changed meanwhile, the taker left or
 * was banned, the terms do not sign), so a handler that holds anything for the take lets go at once.
 * `sent` runs after a committed acceptance was handed to the connection (or the connection went first): a
 * handler starts acting on the trade then, not before its terms can have left.
 */
export type TakeDecision =
  | { accept: TakeTerms; commit?: () => void; release?: () => void; sent?: () => void }
  | { refuse: string }
export type TakeHandler = (take: IncomingTake) => Promise<TakeDecision>

/** How long a handler may take; then the take is refused 'busy', so one stuck answer cannot block an order. */
export const TAKE_HANDLER_TIMEOUT_MS = 30_000
/**
 * Request ids remembered to refuse replays. Signatures bind the connection, so a replay can only come on the
 * connection it was made on; this many other requests first takes that connection over half an hour.
 */
export const REMEMBERED_REQUEST_IDS = 100_000

/** What the answerer needs from the node. */
export interface TakeAnswererHost {
  identity(): Identity
  /** The node's unexpired own order with this id (hex) and what is left of it (0 once filled); undefined if unknown or cancelled. */
  ownOrder(idHex: string): JournalOrder | undefined
  /** Records a fill of the own order everywhere (journal, book, peers), like OrderbookNode.fill. */
  fill(idHex: string, baseAmount: bigint): Promise<void>
}

/**
 * The maker's side of taking an order (docs/PROTOCOL.md 7.5): checks each take request, asks the handler,
 * and answers. Requests for one order are answered one at a time, and an accepted amount is taken off the
 * order before the acceptance goes out, so concurrent takes can never sell more than the order holds.
 */
export class TakeAnswerer {
  readonly #host: TakeAnswererHost
  readonly #seen = new Set<string>()
  /** Per order id (hex), the promise of the last queued answer. */
  readonly #queues = new Map<string, Promise<void>>()
  readonly #timers = new Set<NodeJS.Timeout>()
  #handler: TakeHandler | null = null

  constructor(host: TakeAnswererHost) {
    this.#host = host
  }

  /** Who decides on takes that pass the node's checks; null refuses every take 'busy'. */
  setHandler(handler: TakeHandler | null): void {
    this.#handler = handler
  }

  /** A take request from the peer on the market's channel; it is answered asynchronously. */
  receive(peer: Peer, market: Market, request: TakeRequest): void {
    const binding: TakeBinding = {
      handshakeHash: peer.handshakeHash,
      maker: this.#host.identity().publicKey,
      taker: peer.remotePublicKey,
    }
    if (!verifyTakeRequest(request, binding)) {
      peer.offend('bad-signature', `take-request ${toHex(request.requestId)}`)
      return
    }
    const replayed = this.#remember(toHex(request.requestId))
    const orderHex = toHex(request.orderId)
    const turn = (this.#queues.get(orderHex) ?? Promise.resolve())
      .then(() => this.#answer(peer, market, request, binding, replayed))
      .catch(warnUnlessClosed)
    this.#queues.set(orderHex, turn)
    void turn.then(() => {
      if (this.#queues.get(orderHex) === turn) this.#queues.delete(orderHex)
    })
  }

  close(): void {
    for (const timer of this.#timers) clearTimeout(timer)
    this.#timers.clear()
  }

  async #answer(
    peer: Peer,
    market: Market,
    request: TakeRequest,
    binding: TakeBinding,
    replayed: boolean,
  ): Promise<void> {
    if (peer.closed) return
    const response = await this.#decide(peer, market, request, binding, replayed)
    if (response !== null) peer.send(market, response)
  }

  /** The refusal to send; null when nothing is left to send (the acceptance went out, or the taker is gone). */
  async #decide(
    peer: Peer,
    market: Market,
    request: TakeRequest,
    binding: TakeBinding,
    replayed: boolean,
  ): Promise<TakeResponse | null> {
    const refuse = (reason: string): TakeResponse => ({
      type: 'take-response',
      requestId: request.requestId,
      accepted: false,
      reason,
    })
    const orderHex = toHex(request.orderId)
    const before = this.#takeable(orderHex, market, request.amount)
    if (typeof before === 'string') return refuse(before)
    if (replayed) return refuse('duplicate-request')
    const handler = this.#handler
    if (handler === null) return refuse('busy')
    let decision: TakeDecision | 'timeout'
    try {
      decision = await this.#withDeadline(
        (async () =>
          handler({
            market,
            order: before.order,
            remaining: before.remaining,
            request,
            binding,
            peer: peer.remoteKeyHex,
          }))(),
      )
    } catch {
      return refuse('policy')
    }
    if (decision === 'timeout') return refuse('busy')
    if (typeof decision !== 'object' || decision === null) return refuse('policy')
    if (!('accept' in decision)) return refuse(isReason(decision.refuse) ? decision.refuse : 'policy')
    let committed = false
    try {
      const acceptance = this.#sign(before.order, request, binding, decision.accept)
      if (acceptance === null) return refuse('policy')
      // While the handler thought, the order may have been cancelled, filled or expired.
      const now = this.#takeable(orderHex, market, request.amount)
      if (typeof now === 'string') return refuse(now)
      if (peer.closed || !peer.hasChannel(market)) return null
      try {
        decision.commit?.()
      } catch {
        return refuse('policy')
      }
      committed = true
      try {
        await this.#host.fill(orderHex, request.amount)
        peer.send(market, acceptance)
      } finally {
        // The trade is stored: it must be driven now whatever happened to the answer.
        runHook(decision.sent)
      }
      return null
    } finally {
      if (!committed) runHook(decision.release)
    }
  }

  /** The own order of this market if the amount can be taken from it now, else the refusal code. */
  #takeable(orderHex: string, market: Market, amount: bigint): JournalOrder | string {
    const own = this.#host.ownOrder(orderHex)
    if (own === undefined || marketId(own.order.market) !== marketId(market)) return 'order-gone'
    return takeAmountProblem(own.order, own.remaining, amount) ?? own
  }

  /** The signed acceptance of the handler's terms, or null if they contradict the request or do not encode. */
  #sign(
    order: SignedOrder,
    request: TakeRequest,
    binding: TakeBinding,
    terms: TakeTerms,
  ): TakeAcceptance | null {
    try {
      if (termsMismatch(order, request, terms) !== null) return null
      const acceptance = acceptTakeRequest(request, terms, binding, this.#host.identity().secretKey)
      encodeMessage(acceptance) // throws for terms the taker's decoder would reject (zero address, ...)
      return acceptance
    } catch {
      return null
    }
  }

  #withDeadline<T>(promise: Promise<T>): Promise<T | 'timeout'> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#timers.delete(timer)
        resolve('timeout')
      }, TAKE_HANDLER_TIMEOUT_MS)
      timer.unref()
      this.#timers.add(timer)
      const settle = () => {
        clearTimeout(timer)
        this.#timers.delete(timer)
      }
      promise.then(
        (value) => {
          settle()
          resolve(value)
        },
        (error: unknown) => {
          settle()
          reject(error)
        },
      )
    })
  }

  /** Whether the request id was seen before; remembers it (the oldest is forgotten past the cap). */
  #remember(requestHex: string): boolean {
    if (this.#seen.has(requestHex)) return true
    this.#seen.add(requestHex)
    if (this.#seen.size > REMEMBERED_REQUEST_IDS) {
      const oldest = this.#seen.values().next().value
      if (oldest !== undefined) this.#seen.delete(oldest)
    }
    return false
  }
}

/** Runs a handler's release or sent hook; what it throws is its own affair, the take is answered regardless. */
function runHook(hook: (() => void) | undefined): void {
  try {
    hook?.()
  } catch (error) {
    warnUnlessClosed(error)
  }
}

function isReason(value: unknown): value is string {
  return typeof value === 'string' && REASON_PATTERN.test(value)
}

function warnUnlessClosed(error: unknown): void {
  if (!isSwarmswapError(error, 'CLOSED')) {
    process.emitWarning(`swarmswap: answering a take request failed: ${String(error)}`)
  }
}
