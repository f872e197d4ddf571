import { randomBytes } from 'node:crypto'
import { isSwarmswapError, SwarmswapError } from '../errors.js'
import type { Identity } from '../p2p/identity.js'
import type { PartyKeys } from '../p2p/messages.js'
import type { Peer } from '../p2p/peer.js'
import { toHex } from '../p2p/wire-codec.js'
import {
  signTakeRequest,
  type TakeAcceptance,
  type TakeBinding,
  type TakeRequest,
  type TakeResponse,
  verifyTakeAcceptance,
} from '../p2p/wire-take.js'
import { marketId } from './market.js'
import { termsMismatch } from './take-terms.js'
import type { Market, SignedOrder } from './types.js'

export interface TakeParams {
  /** Hex id of an order in a joined book. */
  orderId: string
  /** Base units to take. */
  amount: bigint
  /** The taker's swap keys, sent to the maker and echoed in its terms. */
  taker: PartyKeys
  /** How long to wait for the maker's answer, ms; default DEFAULT_TAKE_TIMEOUT_MS. */
  timeoutMs?: number
}

/** An accepted take: the request and the maker's signed terms, both verified, and what they are bound to. */
export interface TakeResult {
  market: Market
  order: SignedOrder
  request: TakeRequest
  acceptance: TakeAcceptance
  binding: TakeBinding
  /** Hex of the maker's identity. */
  peer: string
}

export const DEFAULT_TAKE_TIMEOUT_MS = 10_000
/** Timed-out request ids remembered so the maker's late answer is dropped without blame. */
const REMEMBERED_ABANDONED = 1_000

/** What the requester needs from the node. */
export interface TakeRequesterHost {
  identity(): Identity
  /** The order with this id (hex) in a joined book, with its market. */
  findOrder(idHex: string): { market: Market; order: SignedOrder } | undefined
  /** A connection to the maker (hex identity) whose channel of the market is open. */
  makerPeer(makerHex: string, market: Market): Peer | undefined
}

interface PendingTake {
  peer: Peer
  market: Market
  order: SignedOrder
  request: TakeRequest
  binding: TakeBinding
  resolve: (result: TakeResult) => void
  reject: (error: Error) => void
  timer: NodeJS.Timeout
}

/**
 * The taker's side of taking an order (docs/PROTOCOL.md 7.5): signs and sends a take request on the
 * maker's connection and matches the maker's answer to it, verifying an acceptance before trusting it.
 */
export class TakeRequester {
  readonly #host: TakeRequesterHost
  /** By request id (hex). */
  readonly #pending = new Map<string, PendingTake>()
  readonly #abandoned = new Set<string>()

  constructor(host: TakeRequesterHost) {
    this.#host = host
  }

  /**
   * Asks the order's maker to take `amount` of it. Rejects NOT_FOUND (order not in a joined book, or its
   * maker not connected), TAKE_REFUSED (details.reason), TIMEOUT, BAD_DATA (an acceptance that does not
   * verify or contradicts the request), CLOSED (the connection or node closed first), INVALID_ARGUMENT.
   */
  take(params: TakeParams): Promise<TakeResult> {
    try {
      return this.#send(params)
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /** A take-response from the peer on the market's channel. */
  receive(peer: Peer, market: Market, response: TakeResponse): void {
    const key = toHex(response.requestId)
    const pending = this.#pending.get(key)
    if (pending === undefined || pending.peer !== peer || marketId(pending.market) !== marketId(market)) {
      if (this.#abandoned.delete(key)) return // a late answer to a request that timed out
      peer.offend('rate-limited', `unsolicited take-response ${key}`)
      return
    }
    this.#settle(key, pending)
    if (!response.accepted) {
      pending.reject(
        new SwarmswapError('TAKE_REFUSED', `the maker refused the take: ${response.reason}`, {
          details: { reason: response.reason, requestId: key, orderId: toHex(pending.order.id) },
        }),
      )
      return
    }
    if (!verifyTakeAcceptance(pending.request, response, pending.binding)) {
      peer.offend('bad-signature', `take acceptance ${key}`)
      pending.reject(badAcceptance(key, 'signature'))
      return
    }
    const mismatch = termsMismatch(pending.order, pending.request, response.terms)
    if (mismatch !== null) {
      peer.offend('invalid', `take acceptance ${key}: terms.${mismatch}`)
      pending.reject(badAcceptance(key, `terms.${mismatch}`))
      return
    }
    const { market: takenMarket, order, request, binding } = pending
    pending.resolve({
      market: takenMarket,
      order,
      request,
      acceptance: response,
      binding,
      peer: peer.remoteKeyHex,
    })
  }

  /** The peer's connection (or, with `market`, that channel) closed: its takes can no longer be answered. */
  drop(peer: Peer, market?: Market): void {
    for (const [key, pending] of this.#pending) {
      if (pending.peer !== peer || (market !== undefined && marketId(market) !== marketId(pending.market))) {
        continue
      }
      this.#settle(key, pending)
      pending.reject(new SwarmswapError('CLOSED', `connection to ${peer.remoteKeyHex} closed`))
    }
  }

  close(): void {
    for (const [key, pending] of this.#pending) {
      this.#settle(key, pending)
      pending.reject(new SwarmswapError('CLOSED', 'the order book node closed'))
    }
  }

  #send(params: TakeParams): Promise<TakeResult> {
    const timeoutMs = params.timeoutMs ?? DEFAULT_TAKE_TIMEOUT_MS
    if (typeof params.amount !== 'bigint' || params.amount <= 0n) {
      throw new SwarmswapError('INVALID_ARGUMENT', 'amount must be a positive bigint', {
        details: { field: 'amount' },
      })
    }
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      throw new SwarmswapError('INVALID_ARGUMENT', 'timeoutMs must be a positive number', {
        details: { field: 'timeoutMs' },
      })
    }
    const found = this.#host.findOrder(String(params.orderId).toLowerCase())
    if (found === undefined) {
      throw new SwarmswapError('NOT_FOUND', `order ${params.orderId} is not in any joined book`)
    }
    const { market, order } = found
    const peer = this.#host.makerPeer(toHex(order.maker), market)
    if (peer === undefined) {
      throw new SwarmswapError('NOT_FOUND', `the maker of order ${params.orderId} is not connected`)
    }
    const identity = this.#host.identity()
    const binding: TakeBinding = {
      handshakeHash: peer.handshakeHash,
      maker: order.maker,
      taker: identity.publicKey,
    }
    const request = signedRequest(params, order, binding, identity)
    const key = toHex(request.requestId)
    return new Promise<TakeResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#settle(key, pending)
        this.#abandon(key)
        reject(new SwarmswapError('TIMEOUT', `no answer to take request ${key} within ${timeoutMs} ms`))
      }, timeoutMs)
      const pending: PendingTake = { peer, market, order, request, binding, resolve, reject, timer }
      this.#pending.set(key, pending)
      let sent: boolean
      try {
        sent = peer.send(market, request)
      } catch (error) {
        this.#settle(key, pending)
        reject(asInvalidArgument(error))
        return
      }
      if (!sent) {
        this.#settle(key, pending)
        reject(new SwarmswapError('NOT_FOUND', `the channel to the maker of ${params.orderId} closed`))
      }
    })
  }

  #settle(key: string, pending: PendingTake): void {
    clearTimeout(pending.timer)
    this.#pending.delete(key)
  }

  #abandon(key: string): void {
    this.#abandoned.add(key)
    if (this.#abandoned.size > REMEMBERED_ABANDONED) {
      const oldest = this.#abandoned.values().next().value
      if (oldest !== undefined) this.#abandoned.delete(oldest)
    }
  }
}

function signedRequest(
  params: TakeParams,
  order: SignedOrder,
  binding: TakeBinding,
  identity: Identity,
): TakeRequest {
  try {
    return signTakeRequest(
      {
        requestId: new Uint8Array(randomBytes(16)),
        orderId: order.id,
        amount: params.amount,
        taker: params.taker,
      },
      binding,
      identity.secretKey,
    )
  } catch (error) {
    throw asInvalidArgument(error)
  }
}

/** Bad taker keys surface from the encoder as a TypeError or an INVALID_ARGUMENT; the caller sees the latter. */
function asInvalidArgument(error: unknown): SwarmswapError {
  if (isSwarmswapError(error, 'INVALID_ARGUMENT')) return error
  return new SwarmswapError('INVALID_ARGUMENT', `cannot send the take request: ${String(error)}`, {
    cause: error,
    details: { field: 'taker' },
  })
}

function badAcceptance(requestId: string, field: string): SwarmswapError {
  return new SwarmswapError('BAD_DATA', `the maker's acceptance of ${requestId} is invalid: ${field}`, {
    details: { requestId, field },
  })
}
