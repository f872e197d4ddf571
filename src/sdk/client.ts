import type { z } from 'zod'
import { type MethodName, type MethodParams, type MethodResult, methods } from '../api/schemas.js'
import { type Connection, type ConnectionOptions, resolveConnection } from './connection.js'
import { describeIssues, SwarmswapApiError } from './errors.js'
import { SwarmswapEvents } from './events.js'
import { postJsonRpc } from './rpc.js'
import type { BalanceView, MarketView, OrderView, PeerView, SwapView } from './types.js'

export type SwarmswapClientOptions = ConnectionOptions & {
  /** Per request and for opening the WebSocket; default 120 s (a take negotiates with a peer). */
  timeoutMs?: number
}

type Asset = MethodParams<'markets.join'>['base']

const DEFAULT_TIMEOUT_MS = 120_000
const DEFAULT_WAIT_MS = 30 * 60_000

/**
 * A typed client of the swarmswapd local API. Every result is validated against the API schemas, every
 * failure is a SwarmswapApiError. Nothing is read or opened before the first call; `close()` is safe twice.
 *
 * ```ts
 * const client = new SwarmswapClient({ datadir: '/home/me/.local/share/swarmswap/regtest' })
 * const { asks } = await client.orderbook('BTC', 'ETH')
 * const swap = await client.take(asks[0].orderId)
 * await client.waitForSwap(swap.id)
 * ```
 */
export class SwarmswapClient {
  readonly #options: SwarmswapClientOptions
  readonly #timeoutMs: number
  #connection: Promise<Connection> | null = null
  #events: Promise<SwarmswapEvents> | null = null
  #closed = false

  constructor(options: SwarmswapClientOptions) {
    this.#options = options
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  }

  /** Calls `method`: params are checked before sending (INVALID_PARAMS), the result after (BAD_DATA). */
  async call<M extends MethodName>(method: M, params: MethodParams<M>): Promise<MethodResult<M>> {
    this.#assertOpen()
    const schema: { params: z.ZodType; result: z.ZodType } = methods[method]
    const checked = schema.params.safeParse(params)
    if (!checked.success) {
      throw new SwarmswapApiError('INVALID_PARAMS', `${method}: ${describeIssues(checked.error)}`)
    }
    const raw = await postJsonRpc(await this.#connect(), method, checked.data, this.#timeoutMs)
    const result = schema.result.safeParse(raw)
    if (!result.success) {
      throw new SwarmswapApiError('BAD_DATA', `${method}: unexpected result: ${describeIssues(result.error)}`)
    }
    return result.data as MethodResult<M>
  }

  info(): Promise<MethodResult<'node.info'>> {
    return this.call('node.info', {})
  }

  async balance(): Promise<BalanceView[]> {
    return (await this.call('wallet.balance', {})).balances
  }

  async newAddress(chain: 'bitcoin' | 'evm'): Promise<string> {
    return (await this.call('wallet.newAddress', { chain })).address
  }

  /** `amount` in whole units of `asset` ("0.5"). */
  withdraw(asset: Asset, to: string, amount: string): Promise<MethodResult<'wallet.withdraw'>> {
    return this.call('wallet.withdraw', { asset, to, amount })
  }

  async markets(): Promise<MarketView[]> {
    return (await this.call('markets.list', {})).markets
  }

  async joinMarket(base: Asset, quote: Asset): Promise<MarketView> {
    return (await this.call('markets.join', { base, quote })).market
  }

  async leaveMarket(base: Asset, quote: Asset): Promise<MarketView> {
    return (await this.call('markets.leave', { base, quote })).market
  }

  orderbook(base: Asset, quote: Asset, depth?: number): Promise<MethodResult<'orderbook.get'>> {
    return this.call('orderbook.get', depth === undefined ? { base, quote } : { base, quote, depth })
  }

  async placeOrder(params: MethodParams<'orders.place'>): Promise<OrderView> {
    return (await this.call('orders.place', params)).order
  }

  async orders(): Promise<OrderView[]> {
    return (await this.call('orders.list', {})).orders
  }

  async cancelOrder(orderId: string): Promise<void> {
    await this.call('orders.cancel', { orderId })
  }

  /** Takes `amount` whole base units of the order (default: all that is left); resolves once terms are agreed. */
  async take(orderId: string, amount?: string): Promise<SwapView> {
    return (await this.call('orders.take', amount === undefined ? { orderId } : { orderId, amount })).swap
  }

  async swaps(options: MethodParams<'swaps.list'> = {}): Promise<SwapView[]> {
    return (await this.call('swaps.list', options)).swaps
  }

  async swap(id: string): Promise<SwapView> {
    return (await this.call('swaps.get', { id })).swap
  }

  /** Refunds a swap whose deadline has passed (the daemon also does this by itself). */
  async refund(id: string): Promise<SwapView> {
    return (await this.call('swaps.refund', { id })).swap
  }

  async peers(): Promise<PeerView[]> {
    return (await this.call('peers.list', {})).peers
  }

  /** The daemon's notifications as typed events, over one WebSocket shared by every caller of this client. */
  events(): Promise<SwarmswapEvents> {
    if (this.#closed) return Promise.reject(closedError())
    if (this.#events === null) {
      const opening = this.#connect().then((connection) => SwarmswapEvents.open(connection, this.#timeoutMs))
      this.#events = opening
      opening.then(
        (events) => events.once('close', () => this.#forget(opening)),
        () => this.#forget(opening),
      )
    }
    return this.#events
  }

  /**
   * Resolves with the swap once `predicate` holds (default: the swap is final). The predicate sees the current
   * record first, then every update, so it may also report progress. TIMEOUT after `timeoutMs`; UNREACHABLE if
   * the daemon goes away meanwhile.
   */
  async waitForSwap(
    id: string,
    predicate: (swap: SwapView) => boolean = (swap) => swap.final,
    timeoutMs: number = DEFAULT_WAIT_MS,
  ): Promise<SwapView> {
    const events = await this.events()
    return new Promise<SwapView>((resolve, reject) => {
      const finish = (settle: () => void) => {
        clearTimeout(timer)
        events.off('swap.updated', onUpdate)
        events.off('close', onClose)
        settle()
      }
      const check = (swap: SwapView) => {
        try {
          if (swap.id === id && predicate(swap)) finish(() => resolve(swap))
        } catch (error) {
          finish(() => reject(error))
        }
      }
      const onUpdate = ({ swap }: { swap: SwapView }) => check(swap)
      const onClose = () =>
        finish(() =>
          reject(new SwarmswapApiError('UNREACHABLE', `lost the daemon while waiting for swap ${id}`)),
        )
      const timer = setTimeout(
        () =>
          finish(() =>
            reject(new SwarmswapApiError('TIMEOUT', `swap ${id}: not there after ${timeoutMs} ms`)),
          ),
        timeoutMs,
      )
      events.on('swap.updated', onUpdate)
      events.once('close', onClose)
      this.swap(id).then(check, (error: unknown) => finish(() => reject(error)))
    })
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    const events = this.#events
    this.#events = null
    await events?.then((open) => open.close()).catch(() => {})
  }

  #connect(): Promise<Connection> {
    if (this.#connection === null) {
      const resolving = resolveConnection(this.#options)
      this.#connection = resolving
      // A daemon not started yet may be there on the next call: do not cache the failure.
      resolving.catch(() => {
        if (this.#connection === resolving) this.#connection = null
      })
    }
    return this.#connection
  }

  #forget(events: Promise<SwarmswapEvents>): void {
    if (this.#events === events) this.#events = null
  }

  #assertOpen(): void {
    if (this.#closed) throw closedError()
  }
}

function closedError(): SwarmswapApiError {
  return new SwarmswapApiError('CLOSED', 'the client was closed')
}
