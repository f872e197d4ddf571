import { Contract, isAddress } from 'ethers'
import type { z } from 'zod'
import { API_VERSION, type MethodName, type MethodResult, type methods } from '../api/schemas.js'
import { SwarmswapError } from '../errors.js'
import { quoteForBase } from '../orderbook/order.js'
import type { Market, NetworkName } from '../orderbook/types.js'
import { evmTokenOf } from '../swap/adapters/evm-terms.js'
import { assertSwappable, chainOf, legsOf } from '../swap/legs.js'
import { FINAL_STATUSES, type SwapRecord, type SwapStatus } from '../swap/types.js'
import { VERSION } from '../version.js'
import type { AssetDecimals } from './assets.js'
import type { JoinedMarkets } from './markets.js'
import type { TradingNode } from './trading-node.js'
import { priceRatio, unitsOf } from './units.js'
import { depthLevelViewOf, marketViewOf, orderViewOf, swapViewOf } from './views.js'

export interface MethodContext {
  node: TradingNode
  network: NetworkName
  markets: JoinedMarkets
  decimals: AssetDecimals
  /** ERC-20 assets wallet.balance always shows. */
  tokens: string[]
}

type Params<M extends MethodName> = z.output<(typeof methods)[M]['params']>
export type MethodHandlers = { [M in MethodName]: (params: Params<M>) => Promise<MethodResult<M>> }

/** Default order lifetime, seconds. */
const DEFAULT_EXPIRES_IN = 3600
const ERC20_TRANSFER_ABI = ['function transfer(address to, uint256 amount) returns (bool)']
/** Statuses in which a lock of ours may be on chain, so a refund can be due (per role). */
const OWN_LOCK_STATUSES: Record<'maker' | 'taker', ReadonlySet<SwapStatus>> = {
  maker: new Set(['lock-signed', 'locked', 'counter-locked', 'claim-signed', 'refund-signed']),
  taker: new Set(['lock-signed', 'locked', 'claim-signed', 'refund-signed']),
}

/** Every API method over the trading node. Params arrive validated by their schemas. */
export function createHandlers(ctx: MethodContext): MethodHandlers {
  const { node, decimals } = ctx
  const me = () => Buffer.from(node.orderbook.publicKey).toString('hex')
  const market = (p: { base: string; quote: string }): Market => ({
    network: ctx.network,
    base: p.base,
    quote: p.quote,
  })
  const swapView = (record: SwapRecord) => swapViewOf(record, node.engine.policy, decimals)
  let receiveAddress: string | undefined

  return {
    'node.info': async () => {
      const [btc, evm] = await Promise.all([node.bitcoin.tip(), node.evm.tip()])
      receiveAddress ??= node.wallet.receiveAddress()
      return {
        version: VERSION,
        apiVersion: API_VERSION,
        network: ctx.network,
        identity: me(),
        bitcoin: { height: btc.height, receiveAddress },
        evm: {
          height: evm.height,
          chainId: node.options.evm.chainId,
          address: node.evmWallet.address,
          htlcAddress: node.options.evm.htlcAddress,
        },
        peers: new Set(node.orderbook.peers().map((p) => p.publicKey)).size,
        activeSwaps: node.store.active().length,
      }
    },

    'wallet.balance': async () => {
      const joinedTokens = ctx.markets.list().flatMap((m) => [m.base, m.quote])
      const tokens = [...new Set([...ctx.tokens, ...joinedTokens])].filter((a) => a.startsWith('ERC20:'))
      const address = node.evmWallet.address
      const [btc, eth, ...tokenBalances] = await Promise.all([
        node.wallet.balance(),
        node.provider.getBalance(address),
        ...tokens.map(
          (asset) => erc20(asset).getFunction('balanceOf').staticCall(address) as Promise<bigint>,
        ),
      ])
      const evmBalance = async (asset: string, units: bigint) => ({
        asset,
        chain: 'evm' as const,
        confirmed: await decimals.view(asset, units),
        unconfirmed: await decimals.view(asset, 0n),
      })
      return {
        balances: [
          {
            asset: 'BTC',
            chain: 'bitcoin' as const,
            confirmed: await decimals.view('BTC', btc.confirmed),
            unconfirmed: await decimals.view('BTC', btc.unconfirmed),
          },
          await evmBalance('ETH', eth),
          ...(await Promise.all(tokens.map((asset, i) => evmBalance(asset, tokenBalances[i] ?? 0n)))),
        ],
      }
    },

    'wallet.newAddress': async ({ chain }) => ({
      chain,
      address: chain === 'bitcoin' ? node.wallet.receiveAddress() : node.evmWallet.address,
    }),

    'wallet.withdraw': async ({ asset, to, amount: text }) => {
      const chain = chainOf(asset)
      const amount = unitsOf(text, await decimals.of(asset))
      if (amount === 0n) throw new SwarmswapError('INVALID_ARGUMENT', 'the amount must be above 0')
      const spendable = await node[chain].spendable(asset)
      if (spendable < amount) {
        throw new SwarmswapError('INSUFFICIENT_FUNDS', `not enough ${asset}: ${spendable} spendable`, {
          details: { asset, needed: amount.toString(), available: spendable.toString() },
        })
      }
      let txid: string
      if (chain === 'bitcoin') {
        txid = (await node.wallet.sendTo(to, amount)).txid
      } else {
        if (!isAddress(to)) throw new SwarmswapError('INVALID_ARGUMENT', `not an EVM address: ${to}`)
        txid =
          asset === 'ETH'
            ? (await node.evmWallet.sendTransaction({ to, value: amount })).hash
            : (await erc20(asset).connect(node.evmWallet).getFunction('transfer').send(to, amount)).hash
      }
      return { chain, txid, amount: await decimals.view(asset, amount) }
    },

    'markets.list': async () => ({ markets: ctx.markets.list().map(marketViewOf) }),

    'markets.join': async (params) => {
      const joined = market(params)
      assertSwappable(joined)
      // An unknown token fails here, before anything is announced.
      await Promise.all([decimals.of(joined.base), decimals.of(joined.quote)])
      await ctx.markets.join(joined)
      return { market: marketViewOf(joined) }
    },

    'markets.leave': async (params) => {
      const left = market(params)
      await ctx.markets.leave(left)
      return { market: marketViewOf(left) }
    },

    'orderbook.get': async ({ depth, ...params }) => {
      const m = market(params)
      const book = node.orderbook.book(m)
      const levels = book.depth(depth ?? Number.POSITIVE_INFINITY)
      const views = (entries: ReturnType<typeof book.bids>) =>
        Promise.all(entries.map((entry) => orderViewOf(entry, me(), decimals)))
      const levelViews = (list: typeof levels.bids) =>
        Promise.all(list.map((level) => depthLevelViewOf(m, level, decimals)))
      return {
        market: marketViewOf(m),
        bids: await views(book.bids()),
        asks: await views(book.asks()),
        depth: { bids: await levelViews(levels.bids), asks: await levelViews(levels.asks) },
      }
    },

    'orders.place': async (params) => {
      const m = market(params)
      assertSwappable(m)
      const [baseDecimals, quoteDecimals] = await Promise.all([decimals.of(m.base), decimals.of(m.quote)])
      const amount = unitsOf(params.amount, baseDecimals)
      const minFill = params.minFill === undefined ? amount : unitsOf(params.minFill, baseDecimals)
      const price = priceRatio(params.price, baseDecimals, quoteDecimals)
      if (amount === 0n || minFill === 0n || minFill > amount) {
        throw new SwarmswapError('INVALID_ARGUMENT', 'need 0 < minFill <= amount', {
          details: { field: amount === 0n ? 'amount' : 'minFill' },
        })
      }
      const sends = params.side === 'sell' ? m.base : m.quote
      const needed = params.side === 'sell' ? amount : quoteForBase({ side: 'buy', ...price }, amount)
      const spendable = await node[chainOf(sends)].spendable(sends)
      if (spendable < needed) {
        throw new SwarmswapError('INSUFFICIENT_FUNDS', `not enough ${sends} to back the order`, {
          details: { asset: sends, needed: needed.toString(), available: spendable.toString() },
        })
      }
      await ctx.markets.join(m)
      const order = await node.orderbook.place({
        market: m,
        side: params.side,
        amount,
        minFill,
        ...price,
        expiry: Math.floor(Date.now() / 1000) + (params.expiresIn ?? DEFAULT_EXPIRES_IN),
      })
      const entry = { order, remaining: amount, receivedAt: Date.now() }
      return { order: await orderViewOf(entry, me(), decimals) }
    },

    'orders.list': async () => {
      const own = ctx.markets.list().flatMap((m) => node.orderbook.book(m).ordersOf(me()))
      return { orders: await Promise.all(own.map((entry) => orderViewOf(entry, me(), decimals))) }
    },

    'orders.cancel': async ({ orderId }) => {
      await node.orderbook.cancel(orderId)
      return { orderId }
    },

    'orders.take': async ({ orderId, amount }) => {
      const found = node.orderbook.findOrder(orderId)
      const entry = found && node.orderbook.book(found.market).get(orderId)
      if (found === undefined || entry === undefined) {
        throw new SwarmswapError('NOT_FOUND', `order ${orderId} is not in any joined book`)
      }
      const units =
        amount === undefined ? entry.remaining : unitsOf(amount, await decimals.of(found.market.base))
      if (units === 0n) throw new SwarmswapError('INVALID_ARGUMENT', 'the amount must be above 0')
      return { swap: await swapView(await node.trader.take({ orderId, amount: units })) }
    },

    'swaps.list': async ({ limit, active }) => {
      const records = active ? node.store.active().reverse().slice(0, limit) : node.store.list({ limit })
      return { swaps: await Promise.all(records.map(swapView)) }
    },

    'swaps.get': async ({ id }) => ({ swap: await swapView(requireSwap(id)) }),

    'swaps.refund': async ({ id }) => {
      const record = requireSwap(id)
      if (FINAL_STATUSES.has(record.status)) {
        throw new SwarmswapError('INVALID_ARGUMENT', `swap ${id} has ended (${record.status})`)
      }
      if (!OWN_LOCK_STATUSES[record.role].has(record.status)) {
        throw new SwarmswapError(
          'INVALID_ARGUMENT',
          `nothing of ours is locked in swap ${id} (${record.status})`,
        )
      }
      const own = legsOf(record).own
      const tip = await node[own.chain].tip()
      if (tip.time < own.deadline) {
        throw new SwarmswapError(
          'INVALID_ARGUMENT',
          `the refund of swap ${id} opens at ${iso(own.deadline)} by the ${own.chain} chain's clock, now ${iso(tip.time)}`,
          { details: { deadline: own.deadline, chainTime: tip.time, chain: own.chain } },
        )
      }
      // The engine refunds on its own once the deadline passed; this only makes it look now.
      node.engine.wake()
      await node.engine.tick(id)
      return { swap: await swapView(requireSwap(id)) }
    },

    'peers.list': async () => ({ peers: node.orderbook.peers() }),
  }

  function requireSwap(id: string): SwapRecord {
    const record = node.store.get(id)
    if (record === undefined) throw new SwarmswapError('NOT_FOUND', `no swap ${id}`)
    return record
  }

  function erc20(asset: string): Contract {
    return new Contract(
      evmTokenOf(asset),
      [...ERC20_TRANSFER_ABI, 'function balanceOf(address) view returns (uint256)'],
      node.provider,
    )
  }
}

function iso(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString()
}
