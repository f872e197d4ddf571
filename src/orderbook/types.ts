/**
 * The order book's data types, shared by the wire protocol (src/p2p), the book and the node. Amounts and
 * prices are bigint base units in code; on the wire they are canonical decimal-integer strings.
 */

/** Networks never mix: the network is part of every market topic and every order. */
export type NetworkName = 'regtest' | 'testnet' | 'mainnet'

/** 'BTC', 'ETH', or an ERC-20 token as `ERC20:0x` + 40 lower-case hex digits of its address. */
export type AssetId = string

export interface Market {
  network: NetworkName
  /** What is bought and sold; amounts and minimum fills count in its base units. */
  base: AssetId
  /** What the price is paid in. */
  quote: AssetId
}

/** The maker sells base for quote ('sell', an ask) or buys base with quote ('buy', a bid). */
export type Side = 'sell' | 'buy'

/**
 * An order as its maker signs it. The price is the integer ratio `priceNum / priceDen` quote base
 * units per `priceDen` base units: a fill of `b` base units costs `b * priceNum / priceDen` quote units.
 */
export interface OrderBody {
  version: 1
  market: Market
  side: Side
  /** Total base units offered (sell) or wanted (buy). */
  amount: bigint
  /** Smallest fill in base units a taker may take; <= amount. */
  minFill: bigint
  priceNum: bigint
  priceDen: bigint
  /** Unix seconds after which the order is void. */
  expiry: number
  /** Unix milliseconds when the maker created it: the time in price-time priority. */
  createdAt: number
  /** The maker's ed25519 identity public key (its Hyperswarm key), 32 bytes. */
  maker: Uint8Array
  /** 16 random bytes, so two otherwise identical orders have distinct ids. */
  nonce: Uint8Array
}

export interface SignedOrder extends OrderBody {
  /** SHA-256 of the body's canonical encoding, 32 bytes. */
  id: Uint8Array
  /** ed25519 signature of the maker over the id (domain-separated, see docs/PROTOCOL.md), 64 bytes. */
  signature: Uint8Array
}

/** One order in a book, with what is left of it. */
export interface BookEntry {
  order: SignedOrder
  /** Base units still available; starts at `order.amount`. */
  remaining: bigint
  /** Local receive time, unix ms (breaks ties after createdAt). */
  receivedAt: number
}

/** One price level of a book's depth. */
export interface DepthLevel {
  /** The price as a reduced fraction. */
  priceNum: bigint
  priceDen: bigint
  /** Sum of `remaining` of the orders at this price, base units. */
  amount: bigint
  orders: number
}

export type BookChange =
  | { type: 'added'; entry: BookEntry }
  | { type: 'updated'; entry: BookEntry }
  | {
      type: 'removed'
      entry: BookEntry
      reason: 'cancelled' | 'filled' | 'expired' | 'maker-gone' | 'replaced'
    }
