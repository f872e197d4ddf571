import { createHash } from 'node:crypto'
import c, { type State } from 'compact-encoding'
import { z } from 'zod'
import { SwarmswapError } from '../errors.js'
import type { AssetId, Market, NetworkName } from './types.js'

/**
 * Markets and their DHT topics. A market is (network, base, quote); its topic hashes the protocol version
 * and the network with the assets, so peers of different networks or protocol versions never meet.
 */

/** The order book protocol version; part of every topic, channel handshake and order. */
export const PROTOCOL_VERSION = 1

/** 'BTC', 'ETH', or `ERC20:0x` + the token address in 40 lower-case hex digits (one spelling per token). */
export const ASSET_PATTERN = /^(BTC|ETH|ERC20:0x[0-9a-f]{40})$/

export const NETWORKS = ['regtest', 'testnet', 'mainnet'] as const satisfies readonly NetworkName[]

export const networkSchema = z.enum(NETWORKS)
export const assetSchema = z.string().regex(ASSET_PATTERN, 'not an asset id')
export const marketSchema = z
  .object({ network: networkSchema, base: assetSchema, quote: assetSchema })
  .strict()
  .refine((m) => m.base !== m.quote, { message: 'base and quote must differ', path: ['quote'] })

/** `${network}:${base}/${quote}`, e.g. 'regtest:BTC/ETH'; unique per market, used as a map key. */
export function marketId(market: Market): string {
  return `${market.network}:${market.base}/${market.quote}`
}

/** The inverse of marketId; throws INVALID_ARGUMENT on anything marketId would not produce. */
export function parseMarketId(text: string): Market {
  const match = /^([a-z]+):([^/]+)\/([^/]+)$/.exec(text)
  const parsed = marketSchema.safeParse(match ? { network: match[1], base: match[2], quote: match[3] } : null)
  if (!parsed.success) {
    throw new SwarmswapError('INVALID_ARGUMENT', `not a market id: ${JSON.stringify(text)}`, {
      details: { field: 'market', value: text },
    })
  }
  return parsed.data
}

/** Throws INVALID_ARGUMENT (details.field 'market') unless `market` is a valid market. */
export function assertMarket(market: Market): Market {
  const parsed = marketSchema.safeParse(market)
  if (!parsed.success) {
    throw new SwarmswapError('INVALID_ARGUMENT', `invalid market: ${parsed.error.issues[0]?.message}`, {
      details: { field: 'market' },
    })
  }
  return parsed.data
}

/** Wire encoding of a market: string network, string base, string quote (docs/PROTOCOL.md, "Market"). */
export const marketEncoding = {
  preencode(state: State, m: Market): void {
    c.string.preencode(state, m.network)
    c.string.preencode(state, m.base)
    c.string.preencode(state, m.quote)
  },
  encode(state: State, m: Market): void {
    c.string.encode(state, m.network)
    c.string.encode(state, m.base)
    c.string.encode(state, m.quote)
  },
  /** Unvalidated strings: callers validate the decoded value with marketSchema. */
  decode(state: State): { network: string; base: AssetId; quote: AssetId } {
    return { network: c.string.decode(state), base: c.string.decode(state), quote: c.string.decode(state) }
  },
}

/** Domain separator of topics, so a topic can never equal another hash the protocol uses. */
export const TOPIC_DOMAIN = 'swarmswap/orderbook/topic'

/**
 * The market's 32-byte DHT topic (and protomux channel id):
 * SHA-256(string TOPIC_DOMAIN || uint PROTOCOL_VERSION || market encoding).
 */
export function marketTopic(market: Market, version: number = PROTOCOL_VERSION): Uint8Array {
  const valid = assertMarket(market)
  const state = c.state()
  c.string.preencode(state, TOPIC_DOMAIN)
  c.uint.preencode(state, version)
  marketEncoding.preencode(state, valid)
  state.buffer = new Uint8Array(state.end)
  c.string.encode(state, TOPIC_DOMAIN)
  c.uint.encode(state, version)
  marketEncoding.encode(state, valid)
  return Uint8Array.from(createHash('sha256').update(state.buffer).digest())
}
